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
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Does decay toward the base weights ({@code trainer.base-decay}, L2-SP) keep general similarity
 * when a round learns too hard? On the incidents task, 64 clicks (a clicked and a skipped report of
 * ~256 tokens) fine-tune the base model at a safe and at a far too high learning rate, each with
 * several decay strengths; every candidate is scored on STS dev (Spearman: general similarity,
 * which a round must keep within a point of the base) and on 100 dev queries over the sampled
 * corpus (nDCG@10: what the round is for).
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.BaseDecayHarness
 * [data/stsb-ccbysa/dev.tsv]}
 */
public final class BaseDecayHarness {

  private BaseDecayHarness() {}

  private record Recipe(double learningRate, double baseDecay) {}

  public static void main(String[] args) throws Exception {
    ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT);
    RetrievalTask task = IncidentReportTask.generate(5);
    RetrievalTask.Split split = task.split(0.2, 11);
    RetrievalEvaluator sampled =
        task.evaluator(split.dev().subList(0, 100), SampledCorpus.Sampling.DEFAULTS);
    SimilarityEvaluator stsDev = Scoring.stsDev(args.length > 0 ? args[0] : null);
    List<TrainingExample> clicks =
        FeedbackExamples.training(RoundCostHarness.clicks(task, split.traffic(), 64));
    System.out.printf(
        "%s; %d clicks, batch 16, 1 epoch; %d dev queries over a sample of %,d documents%n",
        MachineInfo.describe(), clicks.size(), 100, sampled.documentCount());
    System.out.println(
        "| learning rate | base decay | STS dev Spearman | nDCG@10 (sample) | train s |");
    System.out.println("|---:|---:|---:|---:|---:|");
    score(base, "base", "-", 0, sampled, stsDev);
    for (Recipe r :
        List.of(
            new Recipe(1e-4, 0),
            new Recipe(1e-4, 100),
            new Recipe(1e-3, 0),
            new Recipe(1e-3, 10),
            new Recipe(1e-3, 100))) {
      FineTuner tuner =
          new FineTuner(
              new MultipleNegativesRankingLoss(),
              TrainingOptions.defaults()
                  .withBatchSize(16)
                  .withLearningRate(r.learningRate())
                  .withBaseDecay(r.baseDecay()));
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
          seconds,
          sampled,
          stsDev);
    }
  }

  private static void score(
      ModelBundle model,
      String learningRate,
      String decay,
      double trainSeconds,
      RetrievalEvaluator retrieval,
      SimilarityEvaluator similarity)
      throws Exception {
    try (SentenceEncoder encoder = SentenceEncoder.open(model, EncoderOptions.defaults())) {
      Embedder embedder = Scoring.cached(encoder, model.version(), 10_000);
      System.out.printf(
          Locale.ROOT,
          "| %s | %s | %.4f | %.4f | %.0f |%n",
          learningRate,
          decay,
          similarity.evaluate(embedder).primaryValue(),
          retrieval.evaluate(embedder).primaryValue(),
          trainSeconds);
    }
  }
}
