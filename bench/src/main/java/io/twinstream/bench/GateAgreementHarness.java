package io.twinstream.bench;

import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.trainer.FineTuner;
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
 * Does the sampled gate rank candidates the way the whole-corpus gate does? On the incidents task
 * (5,760 reports), the base model and candidates fine-tuned on different amounts of clicks and at
 * different learning rates (one far too high) are each scored on the same 100 evaluation queries
 * twice: over the whole corpus and over the sample of {@link SampledCorpus} (default settings).
 * Both scores come from the same vectors (the model embeds the corpus once), so the only difference
 * is what is ranked. Prints both nDCG@10 per model, the two orders, Kendall's tau between them, and
 * whether the gate's decision against the base (candidate not worse) is the same.
 *
 * <p>The same candidates measure the learning rate and the number of epochs on documents of real
 * length: each row also gives STS dev Spearman (general similarity, which a round must not lose).
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.GateAgreementHarness
 * [data/stsb-ccbysa/dev.tsv]}
 */
public final class GateAgreementHarness {

  private GateAgreementHarness() {}

  /** A candidate: clicks trained on, learning rate and passes over them. */
  private record Recipe(String name, int pairs, double learningRate, int epochs) {}

  public static void main(String[] args) throws Exception {
    ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT);
    RetrievalTask task = IncidentReportTask.generate(5);
    RetrievalTask.Split split = task.split(0.2, 11);
    List<String> dev = split.dev().subList(0, 100);
    RetrievalEvaluator full = task.evaluator(dev, null);
    RetrievalEvaluator sampled = task.evaluator(dev, SampledCorpus.Sampling.DEFAULTS);
    System.out.printf(
        "%s; %d queries; whole corpus %,d documents, sample %,d%n",
        MachineInfo.describe(), dev.size(), full.documentCount(), sampled.documentCount());
    SimilarityEvaluator stsDev = Scoring.stsDev(args.length > 0 ? args[0] : null);
    List<Recipe> recipes =
        List.of(
            new Recipe("base", 0, 0, 0),
            new Recipe("128 pairs, lr 2e-5", 128, 2e-5, 1),
            new Recipe("128 pairs, lr 5e-5", 128, 5e-5, 1),
            new Recipe("128 pairs, lr 1e-4", 128, 1e-4, 1),
            new Recipe("128 pairs, lr 5e-5, 2 epochs", 128, 5e-5, 2),
            new Recipe("64 pairs, lr 1e-3", 64, 1e-3, 1));
    System.out.println(
        "| candidate | nDCG@10 whole corpus | nDCG@10 sample | STS dev Spearman | train s | evaluate s"
            + " |");
    List<double[]> scores = new ArrayList<>();
    for (Recipe r : recipes) {
      ModelBundle model = base;
      double trainSeconds = 0;
      if (r.pairs() > 0) {
        FineTuner tuner =
            new FineTuner(
                new MultipleNegativesRankingLoss(),
                TrainingOptions.defaults()
                    .withBatchSize(16)
                    .withLearningRate(r.learningRate())
                    .withEpochs(r.epochs())
                    .withSeed(r.pairs()));
        long started = System.nanoTime();
        FineTuner.Result trained =
            tuner.fineTune(
                base,
                FeedbackExamples.training(
                    RoundCostHarness.clicks(task, split.traffic(), r.pairs())),
                TrainingListener.NONE);
        trainSeconds = (System.nanoTime() - started) / 1e9;
        try (var encoder = trained.encoder()) {
          model = new BundleExporter().export(base, encoder, "candidate", Map.of(), Map.of());
        }
      }
      long started = System.nanoTime();
      try (SentenceEncoder encoder = SentenceEncoder.open(model, EncoderOptions.defaults())) {
        Embedder cached = Scoring.cached(encoder, r.name(), 20_000);
        double wholeCorpus = full.evaluate(cached).primaryValue();
        double sample = sampled.evaluate(cached).primaryValue();
        double similarity = stsDev.evaluate(cached).primaryValue();
        scores.add(new double[] {wholeCorpus, sample});
        System.out.printf(
            Locale.ROOT,
            "| %s | %.4f | %.4f | %.4f | %.0f | %.0f |%n",
            r.name(),
            wholeCorpus,
            sample,
            similarity,
            trainSeconds,
            (System.nanoTime() - started) / 1e9);
      }
    }
    int concordant = 0;
    int discordant = 0;
    for (int i = 0; i < scores.size(); i++) {
      for (int j = i + 1; j < scores.size(); j++) {
        double a = Math.signum(scores.get(i)[0] - scores.get(j)[0]);
        double b = Math.signum(scores.get(i)[1] - scores.get(j)[1]);
        if (a * b > 0) {
          concordant++;
        } else if (a * b < 0) {
          discordant++;
        }
      }
    }
    int sameDecision = 0;
    for (int i = 1; i < scores.size(); i++) {
      boolean fullPromotes = scores.get(i)[0] >= scores.get(0)[0];
      boolean samplePromotes = scores.get(i)[1] >= scores.get(0)[1];
      if (fullPromotes == samplePromotes) {
        sameDecision++;
      }
    }
    System.out.printf(
        Locale.ROOT,
        "Kendall's tau between the two orders: %.2f (%d concordant, %d discordant pairs);"
            + " gate decision against the base the same for %d of %d candidates%n",
        (concordant - discordant) / (double) (concordant + discordant),
        concordant,
        discordant,
        sameDecision,
        scores.size() - 1);
  }
}
