package io.twinstream.cli.demo;

import io.twinstream.streamtrainer.TrainerOptions;
import io.twinstream.trainer.online.TrainingMode;

/**
 * How the demo's rounds train: what a deployment runs (the job's trainer defaults, chosen on real
 * data), except on the generated dialect of the built-in {@code domain} and {@code incidents}
 * tasks, whose made-up code words are word pieces no model has seen: only the word embeddings can
 * learn them, so those tasks train every layer (3 frozen layers keep 75% of the gain there,
 * docs/benchmarks.md §9), at 1e-4, in batches of 16 (their first rounds have ~60 clicks).
 *
 * @param frozenLayers {@code trainer.frozen-layers}
 * @param learningRate {@code trainer.learning-rate}
 * @param batchSize {@code trainer.batch-size}
 * @param mode {@code trainer.mode}: the model's weights or a query adapter
 */
public record RoundSettings(
    int frozenLayers, double learningRate, int batchSize, TrainingMode mode) {

  /** The job's defaults. */
  public static RoundSettings jobDefaults() {
    return new RoundSettings(
        TrainerOptions.FROZEN_LAYERS.defaultValue(),
        TrainerOptions.LEARNING_RATE.defaultValue(),
        TrainerOptions.BATCH_SIZE.defaultValue(),
        TrainingMode.FULL);
  }

  /** For the built-in generated dialect: every layer, 1e-4, batches of 16. */
  public static RoundSettings generatedDialect() {
    return new RoundSettings(0, 1e-4, 16, TrainingMode.FULL);
  }

  /** These settings with what the command line gave (null: keep). */
  public RoundSettings with(Integer frozen, Double rate) {
    if (frozen != null && frozen < 0) {
      throw new IllegalArgumentException("--frozen-layers must be at least 0, got " + frozen);
    }
    if (rate != null && !(rate > 0)) {
      throw new IllegalArgumentException("--learning-rate must be positive, got " + rate);
    }
    return new RoundSettings(
        frozen != null ? frozen : frozenLayers,
        rate != null ? rate : learningRate,
        batchSize,
        mode);
  }

  /** These settings in {@code m}. */
  public RoundSettings with(TrainingMode m) {
    return new RoundSettings(frozenLayers, learningRate, batchSize, m);
  }
}
