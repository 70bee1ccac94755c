package io.twinstream.trainer;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How a fine-tuning round runs. {@link #defaults()} follows sentence-transformers' {@code fit}
 * where it has a default (learning rate 2e-5, AdamW with weight decay 0.01 and epsilon 1e-6,
 * gradient clipping at norm 1).
 *
 * @param epochs passes over the examples (default 1)
 * @param batchSize examples per optimiser step (default 32); for MNRL also the number of in-batch
 *     negatives + 1
 * @param learningRate peak learning rate (default 2e-5)
 * @param warmupRatio share of the steps over which the learning rate rises linearly from 0 (default
 *     0.1); it then decays linearly to 0 at the last step
 * @param weightDecay decoupled (AdamW) weight decay, not applied to biases and layer norms (default
 *     0.01)
 * @param maxGradNorm gradients are scaled down when their global L2 norm exceeds this (default 1.0)
 * @param seed seeds the shuffling of examples every epoch (default 42); same seed and data, same
 *     order
 * @param gradientCache when to embed and back-propagate in mini-batches (default {@link
 *     GradientCache#AUTO})
 * @param activationBudgetMiB estimated activation memory of one forward pass with graph, in MiB
 *     (default 768); a step that would need more runs with the gradient cache (when {@code
 *     gradientCache} is AUTO), in mini-batches that each fit the budget
 * @param baseDecay decay toward the weights training started from (L2-SP, Li et al. 2018, decoupled
 *     as AdamW's): each step moves every weight back by {@code lr · baseDecay · (w - w0)}, keeping
 *     the model near its base while it learns (default 0 = off; 0.01-1 are useful values). Costs a
 *     copy of the weights
 * @param frozenLayers the embeddings and this many of the lowest transformer layers are not trained
 *     (default 0 = train everything). Their output does not change, so the gradient cache's second
 *     pass starts from the hidden state its first pass kept, and backward stops above them: less
 *     computation and memory per example, fewer weights that can drift from the base model
 * @param batchSampler how each epoch's shuffled examples are cut into batches (default {@link
 *     BatchSampler#SHUFFLE})
 */
public record TrainingOptions(
    int epochs,
    int batchSize,
    double learningRate,
    double warmupRatio,
    double weightDecay,
    double maxGradNorm,
    long seed,
    GradientCache gradientCache,
    int activationBudgetMiB,
    double baseDecay,
    int frozenLayers,
    BatchSampler batchSampler)
    implements Serializable {

  public TrainingOptions {
    require(epochs >= 1, "epochs must be at least 1, got " + epochs);
    require(batchSize >= 1, "batchSize must be at least 1, got " + batchSize);
    require(
        learningRate > 0 && Double.isFinite(learningRate),
        "learningRate must be positive, got " + learningRate);
    require(
        warmupRatio >= 0 && warmupRatio <= 1, "warmupRatio must be in [0, 1], got " + warmupRatio);
    require(
        weightDecay >= 0 && Double.isFinite(weightDecay),
        "weightDecay must be >= 0, got " + weightDecay);
    require(
        maxGradNorm > 0,
        "maxGradNorm must be positive (infinity turns clipping off), got " + maxGradNorm);
    require(gradientCache != null, "gradientCache must be set");
    require(
        baseDecay >= 0 && Double.isFinite(baseDecay), "baseDecay must be >= 0, got " + baseDecay);
    require(
        activationBudgetMiB >= 1,
        "activationBudgetMiB must be at least 1, got " + activationBudgetMiB);
    require(frozenLayers >= 0, "frozenLayers must be >= 0, got " + frozenLayers);
    require(batchSampler != null, "batchSampler must be set");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** The defaults listed above. */
  public static TrainingOptions defaults() {
    return new TrainingOptions(
        1, 32, 2e-5, 0.1, 0.01, 1.0, 42, GradientCache.AUTO, 768, 0.0, 0, BatchSampler.SHUFFLE);
  }

  public TrainingOptions withEpochs(int value) {
    return new TrainingOptions(
        value,
        batchSize,
        learningRate,
        warmupRatio,
        weightDecay,
        maxGradNorm,
        seed,
        gradientCache,
        activationBudgetMiB,
        baseDecay,
        frozenLayers,
        batchSampler);
  }

  public TrainingOptions withBatchSize(int value) {
    return new TrainingOptions(
        epochs,
        value,
        learningRate,
        warmupRatio,
        weightDecay,
        maxGradNorm,
        seed,
        gradientCache,
        activationBudgetMiB,
        baseDecay,
        frozenLayers,
        batchSampler);
  }

  public TrainingOptions withLearningRate(double value) {
    return new TrainingOptions(
        epochs,
        batchSize,
        value,
        warmupRatio,
        weightDecay,
        maxGradNorm,
        seed,
        gradientCache,
        activationBudgetMiB,
        baseDecay,
        frozenLayers,
        batchSampler);
  }

  public TrainingOptions withWarmupRatio(double value) {
    return new TrainingOptions(
        epochs,
        batchSize,
        learningRate,
        value,
        weightDecay,
        maxGradNorm,
        seed,
        gradientCache,
        activationBudgetMiB,
        baseDecay,
        frozenLayers,
        batchSampler);
  }

  public TrainingOptions withWeightDecay(double value) {
    return new TrainingOptions(
        epochs,
        batchSize,
        learningRate,
        warmupRatio,
        value,
        maxGradNorm,
        seed,
        gradientCache,
        activationBudgetMiB,
        baseDecay,
        frozenLayers,
        batchSampler);
  }

  public TrainingOptions withMaxGradNorm(double value) {
    return new TrainingOptions(
        epochs,
        batchSize,
        learningRate,
        warmupRatio,
        weightDecay,
        value,
        seed,
        gradientCache,
        activationBudgetMiB,
        baseDecay,
        frozenLayers,
        batchSampler);
  }

  public TrainingOptions withSeed(long value) {
    return new TrainingOptions(
        epochs,
        batchSize,
        learningRate,
        warmupRatio,
        weightDecay,
        maxGradNorm,
        value,
        gradientCache,
        activationBudgetMiB,
        baseDecay,
        frozenLayers,
        batchSampler);
  }

  public TrainingOptions withGradientCache(GradientCache value, int budget) {
    return new TrainingOptions(
        epochs,
        batchSize,
        learningRate,
        warmupRatio,
        weightDecay,
        maxGradNorm,
        seed,
        value,
        budget,
        baseDecay,
        frozenLayers,
        batchSampler);
  }

  public TrainingOptions withBaseDecay(double value) {
    return new TrainingOptions(
        epochs,
        batchSize,
        learningRate,
        warmupRatio,
        weightDecay,
        maxGradNorm,
        seed,
        gradientCache,
        activationBudgetMiB,
        value,
        frozenLayers,
        batchSampler);
  }

  public TrainingOptions withFrozenLayers(int value) {
    return new TrainingOptions(
        epochs,
        batchSize,
        learningRate,
        warmupRatio,
        weightDecay,
        maxGradNorm,
        seed,
        gradientCache,
        activationBudgetMiB,
        baseDecay,
        value,
        batchSampler);
  }

  public TrainingOptions withBatchSampler(BatchSampler value) {
    return new TrainingOptions(
        epochs,
        batchSize,
        learningRate,
        warmupRatio,
        weightDecay,
        maxGradNorm,
        seed,
        gradientCache,
        activationBudgetMiB,
        baseDecay,
        frozenLayers,
        value);
  }

  /** These options by name, as recorded in a trained bundle's manifest. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("epochs", epochs);
    m.put("batchSize", batchSize);
    m.put("learningRate", learningRate);
    m.put("warmupRatio", warmupRatio);
    m.put("weightDecay", weightDecay);
    m.put("maxGradNorm", maxGradNorm);
    m.put("seed", seed);
    m.put("gradientCache", gradientCache.name().toLowerCase(Locale.ROOT));
    m.put("activationBudgetMiB", activationBudgetMiB);
    m.put("baseDecay", baseDecay);
    m.put("frozenLayers", frozenLayers);
    m.put("noDuplicateTexts", batchSampler);
    m.put("optimizer", "adamw(beta1=0.9, beta2=0.999, eps=1e-6)");
    m.put("schedule", "linear warm-up, linear decay");
    return m;
  }
}
