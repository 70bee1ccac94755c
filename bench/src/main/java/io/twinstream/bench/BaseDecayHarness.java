package io.twinstream.bench;

import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.trainer.FineTuner;
import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.TrainingListener;
import io.twinstream.trainer.TrainingOptions;
import io.twinstream.trainer.eval.Embedder;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.eval.SampledCorpus;
import io.twinstream.trainer.eval.SimilarityEvaluator;
import io.twinstream.trainer.export.BundleExporter;
import io.twinstream.trainer.loss.MultipleNegativesRankingLoss;
import io.twinstream.trainer.online.FeedbackExamples;
import io.twinstream.trainer.task.IncidentReportTask;
import io.twinstream.trainer.task.RetrievalTask;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Does decay toward the base weights ({@code trainer.base-decay}, L2-SP) or freezing the lower
 * layers ({@code trainer.frozen-layers}) keep general similarity when a round learns, and what does
 * each cost in learning and time? On the incidents task, 64 clicks (a clicked and a skipped report
 * of ~256 tokens) fine-tune the base model at a safe and at a far too high learning rate, with
 * several decay strengths and numbers of frozen layers; every candidate is scored on STS dev
 * (Spearman: general similarity, which a round must keep within a point of the base) and on 100 dev
 * queries over the sampled corpus (nDCG@10: what the round is for).
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.BaseDecayHarness
 * [data/stsb-ccbysa/dev.tsv] [recipes] [clicks]}: recipes as {@code lr/decay/frozen,...} (default:
 * all of the rows in docs/benchmarks.md §9), clicks 64 by default.
 */
public final class BaseDecayHarness {

  private BaseDecayHarness() {}

  private record Recipe(double learningRate, double baseDecay, int frozenLayers) {

    static Recipe parse(String text) {
      String[] parts = text.split("/");
      if (parts.length != 3) {
        throw new IllegalArgumentException(
            "recipe '" + text + "' is not learningRate/baseDecay/frozenLayers");
      }
      return new Recipe(
          Double.parseDouble(parts[0]), Double.parseDouble(parts[1]), Integer.parseInt(parts[2]));
    }
  }

  private static final String DEFAULT_RECIPES =
      "1e-4/0/0,1e-4/100/0,1e-3/0/0,1e-3/10/0,1e-3/100/0,1e-4/0/2,1e-4/0/3,1e-4/0/4,1e-3/0/3";

  public static void main(String[] args) throws Exception {
    ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT);
    RetrievalTask task = IncidentReportTask.generate(5);
    RetrievalTask.Split split = task.split(0.2, 11);
    RetrievalEvaluator sampled =
        task.evaluator(split.dev().subList(0, 100), SampledCorpus.Sampling.DEFAULTS);
    SimilarityEvaluator stsDev = Scoring.stsDev(args.length > 0 ? args[0] : null);
    List<Recipe> recipes = new ArrayList<>();
    for (String r : (args.length > 1 ? args[1] : DEFAULT_RECIPES).split(",")) {
      recipes.add(Recipe.parse(r.trim()));
    }
    int clickCount = args.length > 2 ? Integer.parseInt(args[2]) : 64;
    List<TrainingExample> clicks =
        FeedbackExamples.training(RoundCostHarness.clicks(task, split.traffic(), clickCount));
    System.out.printf(
        "%s; %d clicks, batch 16, 1 epoch; %d dev queries over a sample of %,d documents%n",
        MachineInfo.describe(), clicks.size(), 100, sampled.documentCount());
    System.out.println(
        "| learning rate | base decay | frozen layers | STS dev Spearman | nDCG@10 (sample) |"
            + " train s |");
    System.out.println("|---:|---:|---:|---:|---:|---:|");
    score(base, "base", "-", "-", 0, sampled, stsDev);
    for (Recipe r : recipes) {
      FineTuner tuner =
          new FineTuner(
              new MultipleNegativesRankingLoss(),
              TrainingOptions.defaults()
                  .withBatchSize(16)
                  .withLearningRate(r.learningRate())
                  .withBaseDecay(r.baseDecay())
                  .withFrozenLayers(r.frozenLayers()));
      long started = System.nanoTime();
      FineTuner.Result trained = tuner.fineTune(base, clicks, TrainingListener.NONE);
      double seconds = (System.nanoTime() - started) / 1e9;
      ModelBundle model;
      try (var encoder = trained.encoder()) {
        model = new BundleExporter().export(base, encoder, "candidate", Map.of(), Map.of());
      }
      score(
          model,
          String.format(Locale.ROOT, "%.0e", r.learningRate()),
          String.format(Locale.ROOT, "%.0f", r.baseDecay()),
          Integer.toString(r.frozenLayers()),
          seconds,
          sampled,
          stsDev);
    }
  }

  private static void score(
      ModelBundle model,
      String learningRate,
      String decay,
      String frozen,
      double trainSeconds,
      RetrievalEvaluator retrieval,
      SimilarityEvaluator similarity)
      throws Exception {
    try (SentenceEncoder encoder = SentenceEncoder.open(model, EncoderOptions.defaults())) {
      Embedder embedder = Scoring.cached(encoder, model.version(), 10_000);
      System.out.printf(
          Locale.ROOT,
          "| %s | %s | %s | %.4f | %.4f | %.0f |%n",
          learningRate,
          decay,
          frozen,
          similarity.evaluate(embedder).primaryValue(),
          retrieval.evaluate(embedder).primaryValue(),
          trainSeconds);
    }
  }
}
