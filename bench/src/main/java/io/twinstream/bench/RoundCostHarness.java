package io.twinstream.bench;

import io.twinstream.encoder.HiddenStateStore;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.trainer.BatchSampler;
import io.twinstream.trainer.FineTuner;
import io.twinstream.trainer.GradientCache;
import io.twinstream.trainer.TrainingListener;
import io.twinstream.trainer.TrainingOptions;
import io.twinstream.trainer.eval.Evaluator;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.eval.SampledCorpus;
import io.twinstream.trainer.eval.VectorCache;
import io.twinstream.trainer.loss.MultipleNegativesRankingLoss;
import io.twinstream.trainer.online.Feedback;
import io.twinstream.trainer.online.FeedbackExamples;
import io.twinstream.trainer.online.FineTuningRound;
import io.twinstream.trainer.online.PromotionGate;
import io.twinstream.trainer.task.IncidentReportTask;
import io.twinstream.trainer.task.RetrievalTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * What a continuous-learning round costs as the corpus grows: the incidents task (5,760 reports of
 * 200 to 300 tokens), grown to larger corpora with documents no query is about (~200-token texts of
 * STS-benchmark sentences), the same click pairs and evaluation queries at each size, two rounds
 * per size through {@link FineTuningRound} as the trainer runs them — the first with nothing
 * cached, the second with the serving version's vectors kept from the first — with the fixed
 * evaluation set sampled ({@link SampledCorpus}, the default) and, at the smallest size, also over
 * the whole corpus (the baseline of the same run). Each step's seconds and the texts embedded come
 * from the round's own metrics.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.RoundCostHarness [pairs=64]
 * [corpus sizes, comma-separated=5760,57600] [evaluation queries=100] [whole-corpus baseline at the
 * first size=true]}; {@code -Dtwinstream.bench.activationBudgetMiB=N} sets the training's
 * activation budget (default: the trainer's), {@code -Dtwinstream.bench.frozenLayers=N} its frozen
 * layers (default 0), {@code -Dtwinstream.bench.batchSize=N} (16) and {@code
 * -Dtwinstream.bench.batchSampler=shuffle|no-duplicates} (shuffle) its batches. With {@code
 * -Dtwinstream.bench.hiddenStates=true} (and frozen layers) the first two rounds keep the frozen
 * layers' hidden states ({@link FineTuningRound#withHiddenStates}) and a third round, serving
 * cached, evaluates the candidate whole: the baseline of the same run.
 */
public final class RoundCostHarness {

  private RoundCostHarness() {}

  public static void main(String[] args) throws Exception {
    int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    String[] sizes = (args.length > 1 ? args[1] : "5760,57600").split(",");
    int evalQueries = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    boolean baseline = args.length <= 3 || Boolean.parseBoolean(args[3]);
    ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT);
    System.out.printf(
        "%d click pairs per round (MNRL, batch %d, %s batches, %d frozen layers, 1 epoch), %d"
            + " evaluation queries; %s%n",
        pairs,
        Integer.getInteger("twinstream.bench.batchSize", 16),
        System.getProperty("twinstream.bench.batchSampler", "shuffle"),
        Integer.getInteger("twinstream.bench.frozenLayers", 0),
        evalQueries,
        MachineInfo.describe());
    List<String> rows = new ArrayList<>();
    boolean first = baseline;
    RetrievalTask incidents = IncidentReportTask.generate(5);
    List<String> sentences = BenchCorpus.sentences(8_000);
    for (String size : sizes) {
      RetrievalTask task = grown(incidents, Integer.parseInt(size.trim()), sentences);
      rows.addAll(measure(task, base, pairs, evalQueries, SampledCorpus.Sampling.DEFAULTS));
      if (first) {
        rows.addAll(measure(task, base, pairs, evalQueries, null));
        first = false;
      }
    }
    System.out.println();
    System.out.println(
        "| documents | fixed set ranks | round | sample fixed set | train | pairs/s | export |"
            + " evaluate serving | evaluate candidate | texts embedded | lower layers computed |"
            + " round total | peak RSS |");
    System.out.println("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    rows.forEach(System.out::println);
  }

  private static List<String> measure(
      RetrievalTask task,
      ModelBundle base,
      int pairs,
      int evalQueries,
      SampledCorpus.Sampling sampling)
      throws Exception {
    RetrievalTask.Split split = task.split(0.2, 11);
    List<String> dev = split.dev().subList(0, Math.min(evalQueries, split.dev().size()));
    long started = System.nanoTime();
    RetrievalEvaluator fixed = task.evaluator(dev, sampling);
    double sampleSeconds = (System.nanoTime() - started) / 1e9;
    String ranks =
        sampling == null
            ? "whole corpus (" + fixed.documentCount() + ")"
            : String.format(Locale.ROOT, "sample of %,d", fixed.documentCount());
    System.out.printf(
        Locale.ROOT,
        "%,d documents: fixed set of %d queries ranks %s, drawn in %.1f s%n",
        task.corpus().size(),
        dev.size(),
        ranks,
        sampleSeconds);
    List<Feedback> feedback = clicks(task, split.traffic(), pairs);
    List<Feedback> heldOut = clicks(task, split.test(), Math.max(16, pairs / 4));
    Map<String, Evaluator> tasks = new LinkedHashMap<>();
    tasks.put("heldout", FeedbackExamples.evaluator(heldOut, Map.of()));
    tasks.put("fixed", fixed);
    FineTuner tuner =
        new FineTuner(
            new MultipleNegativesRankingLoss(),
            TrainingOptions.defaults()
                .withBatchSize(Integer.getInteger("twinstream.bench.batchSize", 16))
                .withBatchSampler(
                    BatchSampler.parse(
                        System.getProperty("twinstream.bench.batchSampler", "shuffle")))
                .withEpochs(1)
                .withLearningRate(2e-5)
                .withGradientCache(
                    GradientCache.AUTO,
                    Integer.getInteger(
                        "twinstream.bench.activationBudgetMiB",
                        TrainingOptions.defaults().activationBudgetMiB()))
                .withFrozenLayers(Integer.getInteger("twinstream.bench.frozenLayers", 0)));
    // The rounds are about cost: what the gate decides does not matter here.
    FineTuningRound whole = new FineTuningRound(tuner, PromotionGate.defaults());
    boolean keepStates = Boolean.getBoolean("twinstream.bench.hiddenStates");
    VectorCache servingVectors = new VectorCache(base.version(), 100_000);
    List<String> rows = new ArrayList<>();
    try (HiddenStateStore store =
        HiddenStateStore.create(Path.of(System.getProperty("java.io.tmpdir")), 100_000)) {
      for (int r = 1; r <= (keepStates ? 3 : 2); r++) {
        boolean splitRound = keepStates && r < 3;
        FineTuningRound round = splitRound ? whole.withHiddenStates(store) : whole;
        rows.add(
            measureRound(
                task,
                ranks,
                sampleSeconds,
                round,
                base,
                feedback,
                tasks,
                r,
                splitRound,
                servingVectors));
      }
    }
    return rows;
  }

  private static String measureRound(
      RetrievalTask task,
      String ranks,
      double sampleSeconds,
      FineTuningRound round,
      ModelBundle base,
      List<Feedback> feedback,
      Map<String, Evaluator> tasks,
      int r,
      boolean split,
      VectorCache servingVectors)
      throws Exception {
    {
      TrainerBenchmark.resetPeak();
      FineTuningRound.Outcome o =
          round.run(
              base, feedback, tasks, "cost-" + r, TrainingListener.NONE, Map.of(), servingVectors);
      Map<String, Double> m = o.metrics();
      double serving =
          m.get(FineTuningRound.servingSeconds("heldout"))
              + m.get(FineTuningRound.servingSeconds("fixed"));
      double candidate =
          m.get(FineTuningRound.candidateSeconds("heldout"))
              + m.get(FineTuningRound.candidateSeconds("fixed"));
      String row =
          String.format(
              Locale.ROOT,
              "| %,d | %s | %s | %.1f s | %.1f s (%.0f steps) | %.2f | %.1f s | %.1f s | %.1f s |"
                  + " %,.0f | %s | %.1f s | %,d MiB |",
              task.corpus().size(),
              ranks,
              (r == 1 ? "1st (nothing cached)" : r + (r == 2 ? "nd" : "rd") + " (serving cached)")
                  + (split ? ", split" : ", whole"),
              sampleSeconds,
              m.get(FineTuningRound.TRAIN_SECONDS),
              m.get(FineTuningRound.STEPS),
              m.get(FineTuningRound.PAIRS_PER_SECOND),
              m.get(FineTuningRound.EXPORT_SECONDS),
              serving,
              candidate,
              m.get(FineTuningRound.TEXTS_EMBEDDED),
              m.containsKey(FineTuningRound.LOWER_COMPUTED)
                  ? String.format(Locale.ROOT, "%,.0f", m.get(FineTuningRound.LOWER_COMPUTED))
                  : "all",
              o.seconds(),
              TrainerBenchmark.peakRssMiB());
      System.out.println(row);
      return row;
    }
  }

  /**
   * {@code task} with documents added until the corpus has {@code size}: each about 200 tokens of
   * STS-benchmark sentences, relevant to no query.
   */
  static RetrievalTask grown(RetrievalTask task, int size, List<String> sentences) {
    if (size <= task.corpus().size()) {
      return task;
    }
    Map<String, String> corpus = new LinkedHashMap<>(task.corpus());
    Random random = new Random(size);
    for (int d = 0; corpus.size() < size; d++) {
      StringBuilder text = new StringBuilder();
      while (text.length() < 1_000) {
        text.append(sentences.get(random.nextInt(sentences.size()))).append(' ');
      }
      corpus.put(String.format(Locale.ROOT, "x%06d", d), text.toString().trim());
    }
    return new RetrievalTask(
        task.name() + "+" + size, corpus, task.queries(), task.relevance(), task.attribution());
  }

  /**
   * Clicks of searches for {@code queries}: the query with one of its relevant reports (clicked)
   * and with a report of the same service about another problem (skipped), until {@code pairs}
   * clicks.
   */
  static List<Feedback> clicks(RetrievalTask task, List<String> queries, int pairs) {
    Random random = new Random(pairs);
    List<String> docs = new ArrayList<>(task.corpus().keySet());
    List<Feedback> out = new ArrayList<>();
    for (int i = 0; i < pairs; i++) {
      String query = queries.get(i % queries.size());
      List<String> relevant = new ArrayList<>(task.relevance().get(query).keySet());
      String clicked = relevant.get(random.nextInt(relevant.size()));
      String service = clicked.substring(0, 3); // rSS
      String skipped;
      do {
        skipped = docs.get(random.nextInt(docs.size()));
      } while (relevant.contains(skipped) || !skipped.startsWith(service));
      String text = task.queries().get(query);
      out.add(new Feedback(text, task.corpus().get(clicked), 1f, i));
      out.add(new Feedback(text, task.corpus().get(skipped), 0f, i));
    }
    return out;
  }
}
