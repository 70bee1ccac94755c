package io.twinstream.bench;

import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.joiner.PairRules;
import io.twinstream.joiner.Propensity;
import io.twinstream.joiner.SearchLog;
import io.twinstream.testkit.ClickModel;
import io.twinstream.trainer.FineTuner;
import io.twinstream.trainer.TrainingListener;
import io.twinstream.trainer.TrainingOptions;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.export.BundleExporter;
import io.twinstream.trainer.loss.MultipleNegativesRankingLoss;
import io.twinstream.trainer.online.Feedback;
import io.twinstream.trainer.online.FeedbackExamples;
import io.twinstream.trainer.task.DomainTask;
import io.twinstream.trainer.task.RetrievalTask;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Does position-bias correction matter? On the demo's default task, simulated users search the
 * serving model's top 10 and click with a position bias ({@link ClickModel#positionBiased}: they
 * examine rank {@code k} with probability {@code (1/(k+1))^bias}; an examined relevant result is
 * clicked with probability 0.95, an examined irrelevant one with 0.02). Their impressions and
 * clicks go through the feedback joiner's own rules ({@link SearchLog}, {@link PairRules}) twice —
 * pairs weighted by inverse propensity ({@code eta} 1, clipped at 10) and unweighted ({@code eta}
 * 0) — and each arm runs the same rounds: users search its current model (same seeds, same
 * traffic), the round trains on all pairs so far (MNRL, the job's learning rate; {@code
 * -Dtwinstream.bench.frozenLayers=N}, default 0), the candidate serves next. Test nDCG@10 after
 * every round, for both arms.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.PositionBiasHarness [rounds=3]
 * [searches per round=96] [users' bias=1.0] [seeds=1] [arms as eta/maxWeight,...=0/1,1/10]}
 */
public final class PositionBiasHarness {

  private static final int SHOWN = 10;

  private PositionBiasHarness() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    int searches = args.length > 1 ? Integer.parseInt(args[1]) : 96;
    double bias = args.length > 2 ? Double.parseDouble(args[2]) : 1.0;
    int seeds = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    List<Propensity> arms = new ArrayList<>();
    for (String arm : (args.length > 4 ? args[4] : "0/1,1/10").split(",")) {
      String[] parts = arm.split("/");
      arms.add(new Propensity(Double.parseDouble(parts[0]), Double.parseDouble(parts[1])));
    }
    System.out.printf(
        Locale.ROOT,
        "%s; demo task 'domain'; %d rounds of %d searches, top %d shown, users' bias %.1f%n",
        MachineInfo.describe(),
        rounds,
        searches,
        SHOWN,
        bias);
    System.out.println(
        "| seed | arm | round | pairs so far | positives | mean weight | test nDCG@10 |");
    System.out.println("|---:|---|---:|---:|---:|---:|---:|");
    for (long seed = 42; seed < 42 + seeds; seed++) {
      RetrievalTask task = DomainTask.generate(seed);
      RetrievalTask.Split split = task.split(0.2, seed);
      RetrievalEvaluator test = task.evaluator(split.test());
      for (Propensity arm : arms) {
        run(task, split, test, arm, rounds, searches, bias, seed);
      }
    }
  }

  private static void run(
      RetrievalTask task,
      RetrievalTask.Split split,
      RetrievalEvaluator test,
      Propensity propensity,
      int rounds,
      int searches,
      double bias,
      long seed)
      throws Exception {
    String arm =
        propensity.eta() == 0
            ? "unweighted"
            : String.format(
                Locale.ROOT, "IPS eta %.1f, max %.0f", propensity.eta(), propensity.maxWeight());
    PairRules rules = new PairRules(false, propensity, Duration.ofSeconds(30));
    ModelBundle model = ModelBundle.builtin(ModelBundle.DEFAULT);
    List<Feedback> feedback = new ArrayList<>();
    List<String> docIds = List.copyOf(task.corpus().keySet());
    int cursor = 0;
    report(seed, arm, 0, feedback, model, test);
    SimulatedSearches simulated =
        new SimulatedSearches(task, ClickModel.positionBiased(bias), rules, SHOWN);
    for (int round = 1; round <= rounds; round++) {
      Random users = new Random(seed * 1000 + round); // the same draws in both arms
      try (SentenceEncoder serving = SentenceEncoder.open(model, EncoderOptions.defaults())) {
        float[][] docs = vectors(serving, docIds.stream().map(task.corpus()::get).toList());
        List<String> queryIds = new ArrayList<>();
        for (int i = 0; i < searches; i++) {
          queryIds.add(split.traffic().get(cursor++ % split.traffic().size()));
        }
        float[][] queries = vectors(serving, queryIds.stream().map(task.queries()::get).toList());
        for (int i = 0; i < queryIds.size(); i++) {
          List<String> shown = SimulatedSearches.top(queries[i], docs, docIds, SHOWN);
          feedback.addAll(simulated.search(queryIds.get(i), shown, users));
        }
      }
      FineTuner tuner =
          new FineTuner(
              new MultipleNegativesRankingLoss(),
              TrainingOptions.defaults()
                  .withBatchSize(16)
                  .withLearningRate(1e-4)
                  .withFrozenLayers(Integer.getInteger("twinstream.bench.frozenLayers", 0))
                  .withSeed(seed + round));
      FineTuner.Result trained =
          tuner.fineTune(model, FeedbackExamples.training(feedback), TrainingListener.NONE);
      try (var encoder = trained.encoder()) {
        model = new BundleExporter().export(model, encoder, "arm-" + round, Map.of(), Map.of());
      }
      report(seed, arm, round, feedback, model, test);
    }
  }

  private static float[][] vectors(SentenceEncoder encoder, List<String> texts) {
    return encoder.encode(texts).stream().map(SentenceEmbedding::vector).toArray(float[][]::new);
  }

  private static void report(
      long seed,
      String arm,
      int round,
      List<Feedback> feedback,
      ModelBundle model,
      RetrievalEvaluator test)
      throws Exception {
    double ndcg;
    try (SentenceEncoder encoder = SentenceEncoder.open(model, EncoderOptions.defaults())) {
      ndcg = test.evaluate(Scoring.cached(encoder, model.version(), 20_000)).primaryValue();
    }
    long positives = feedback.stream().filter(Feedback::positive).count();
    double meanWeight =
        feedback.stream().mapToDouble(Feedback::weight).average().orElse(Double.NaN);
    System.out.printf(
        Locale.ROOT,
        "| %d | %s | %d | %d | %d | %.2f | %.4f |%n",
        seed,
        arm,
        round,
        feedback.size(),
        positives,
        meanWeight,
        ndcg);
  }
}
