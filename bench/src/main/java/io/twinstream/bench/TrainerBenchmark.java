package io.twinstream.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.TextTokenizer;
import io.twinstream.trainer.FineTuner;
import io.twinstream.trainer.GradientCache;
import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.TrainingListener;
import io.twinstream.trainer.TrainingOptions;
import io.twinstream.trainer.TwinEncoder;
import io.twinstream.trainer.loss.MultipleNegativesRankingLoss;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Training throughput of the twin encoder on this machine: MNRL steps on synthetic pairs built from
 * the STS sentences, short (~20 tokens per text) and long (~128), at several batch sizes; per
 * configuration the median step time after one warm-up step, pairs/s, peak RSS (VmHWM, reset
 * between configurations), and the useful GFLOP/s (real tokens x 6 x non-embedding parameters per
 * second) next to the single-precision matMul GFLOP/s of the same engine measured in the same run.
 * Then a full 1,000-pair MNRL round at batch 32 (the target), and the gradient-cache memory case:
 * 16 queries with 16 positive and 16 negative documents of 256 tokens per step.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.twinstream.bench.TrainerBenchmark [steps] [sections]
 * </pre>
 *
 * sections: any of {@code ceiling,gemm,throughput,round,memory} (default all; {@code gemm}: the
 * engine's matMul GFLOP/s at the encoder's own shapes, 256-token documents x 32). System properties
 * of the memory case: {@code twinstream.bench.memoryBatch} (16), {@code
 * twinstream.bench.activationBudgetMiB} (the default budget), {@code
 * twinstream.bench.memoryAutoOnly} (false: also without the gradient cache); of every training
 * configuration: {@code twinstream.bench.frozenLayers} (0).
 */
public final class TrainerBenchmark {

  private TrainerBenchmark() {}

  public static void main(String[] args) throws Exception {
    setDefault("ai.djl.offline", "true");
    setDefault(
        "ai.djl.pytorch.num_threads", Integer.toString(Runtime.getRuntime().availableProcessors()));
    setDefault("ai.djl.pytorch.num_interop_threads", "1");
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 6;
    String sections = args.length > 1 ? args[1] : "ceiling,gemm,throughput,round,memory";
    System.out.println(
        "# TrainerBenchmark on "
            + MachineInfo.describe()
            + ", libtorch threads "
            + System.getProperty("ai.djl.pytorch.num_threads"));
    ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT);
    long nonEmbedding;
    try (var twin = TwinEncoder.load(base)) {
      nonEmbedding = twin.config().nonEmbeddingParameters();
    }
    double ceiling = Double.NaN;
    if (sections.contains("ceiling") || sections.contains("throughput")) {
      ceiling = matMulCeiling();
      System.out.printf(
          Locale.ROOT,
          "matMul ceiling (1024x1024 @ 1024x1024 fp32, median of 15): %.1f GFLOP/s "
              + "(measured again before each configuration)%n",
          ceiling);
    }
    if (sections.contains("gemm")) {
      // The twin encoder's products for 32 documents of 256 tokens, [rows x inner] x [inner x out]:
      // query, key, value and attention output (384 -> 384 each), the feed-forward in and out,
      // and the three projections fused into one (384 -> 1152), which was tried and reverted.
      for (int[] mkn :
          new int[][] {{8192, 384, 384}, {8192, 384, 1536}, {8192, 1536, 384}, {8192, 384, 1152}}) {
        System.out.printf(
            Locale.ROOT,
            "matMul %dx%d @ %dx%d fp32 (median of 10): %.1f GFLOP/s%n",
            mkn[0],
            mkn[1],
            mkn[1],
            mkn[2],
            matMul(mkn[0], mkn[1], mkn[2], 10));
        System.out.printf(
            Locale.ROOT,
            "matMul %dx%d @ (%dx%d)^T fp32 (median of 10): %.1f GFLOP/s%n",
            mkn[0],
            mkn[1],
            mkn[2],
            mkn[1],
            matMul(mkn[0], mkn[1], mkn[2], 10, true));
      }
    }
    List<String> sentences = BenchCorpus.sentences(20_000);
    try (TextTokenizer tokenizer = TextTokenizer.of(base)) {
      if (sections.contains("throughput")) {
        System.out.println(
            "length | batch | median step s | pairs/s | tokens/step | useful GFLOP/s | ceiling "
                + "GFLOP/s | of ceiling | peak RSS MiB | cached steps");
        for (int length : new int[] {20, 128}) {
          for (int batch : new int[] {16, 32, 64}) {
            List<TrainingExample> pairs =
                pairs(sentences, tokenizer, batch * (steps + 1), length, length, false, 1);
            // The ceiling is measured right before each configuration: the machine's speed drifts.
            ceiling = matMulCeiling();
            run(
                base,
                pairs,
                batch,
                length,
                tokenizer,
                nonEmbedding,
                ceiling,
                GradientCache.AUTO,
                TrainingOptions.defaults().activationBudgetMiB());
          }
        }
      }
      if (sections.contains("round")) {
        List<TrainingExample> pairs = pairs(sentences, tokenizer, 1000, 20, 20, false, 2);
        long roundTokens = 0;
        for (TrainingExample e : pairs) {
          roundTokens += count(tokenizer, e.anchor()) + count(tokenizer, e.positive());
        }
        double before = matMulCeiling();
        resetPeak();
        FineTuner tuner =
            new FineTuner(new MultipleNegativesRankingLoss(), TrainingOptions.defaults());
        long t0 = System.nanoTime();
        FineTuner.Result r = tuner.fineTune(base, pairs, TrainingListener.NONE);
        double wall = (System.nanoTime() - t0) / 1e9;
        r.encoder().close();
        FineTuner.Timings t = r.summary().timings();
        long peak = peakRssMiB();
        double after = matMulCeiling();
        double useful = roundTokens * 6.0 * nonEmbedding / r.summary().seconds() / 1e9;
        System.out.printf(
            Locale.ROOT,
            "1,000-pair MNRL round, batch 32, short pairs (%.1f tokens/pair): %d steps, "
                + "training %.1f s (forward+backward %.1f, optimizer %.1f, checks %.1f), with model load %.1f s, "
                + "%.1f pairs/s, useful %.1f GFLOP/s = %.2f of the matMul ceiling (%.1f before, %.1f after), "
                + "peak RSS %d MiB%n",
            (double) roundTokens / pairs.size(),
            r.summary().steps(),
            r.summary().seconds(),
            t.forwardBackward(),
            t.optimizer(),
            t.checks(),
            wall,
            1000 / r.summary().seconds(),
            useful,
            useful / ((before + after) / 2),
            before,
            after,
            peak);
      }
      if (sections.contains("memory")) {
        int batch = Integer.getInteger("twinstream.bench.memoryBatch", 16);
        System.out.printf(
            "gradient cache: %d queries (~20 tokens) + %d positive + %d negative documents of 256 "
                + "tokens per step%n",
            batch, batch, batch);
        List<TrainingExample> docs =
            pairs(sentences, tokenizer, batch * (Math.min(steps, 3) + 1), 20, 256, true, 3);
        GradientCache[] modes =
            Boolean.getBoolean("twinstream.bench.memoryAutoOnly")
                ? new GradientCache[] {GradientCache.AUTO}
                : new GradientCache[] {GradientCache.AUTO, GradientCache.OFF};
        for (GradientCache mode : modes) {
          run(
              base,
              docs,
              batch,
              256,
              tokenizer,
              nonEmbedding,
              Double.NaN,
              mode,
              Integer.getInteger(
                  "twinstream.bench.activationBudgetMiB",
                  TrainingOptions.defaults().activationBudgetMiB()));
        }
      }
    }
  }

  private static void run(
      ModelBundle base,
      List<TrainingExample> pairs,
      int batch,
      int length,
      TextTokenizer tokenizer,
      long nonEmbedding,
      double ceiling,
      GradientCache cache,
      int budget)
      throws Exception {
    resetPeak();
    List<Double> stepSeconds = new ArrayList<>();
    long[] last = {0};
    TrainingOptions options =
        TrainingOptions.defaults()
            .withBatchSize(batch)
            .withGradientCache(cache, budget)
            .withFrozenLayers(Integer.getInteger("twinstream.bench.frozenLayers", 0));
    FineTuner tuner = new FineTuner(new MultipleNegativesRankingLoss(), options);
    TrainingListener timer =
        new TrainingListener() {
          @Override
          public void stepCompleted(
              int epoch, int step, int total, double loss, double lr, double norm) {
            long now = System.nanoTime();
            if (step > 1) {
              stepSeconds.add((now - last[0]) / 1e9);
            }
            last[0] = now;
          }
        };
    // The first step's time is not counted (warm-up), so the clock starts when it ends.
    FineTuner.Result r = tuner.fineTune(base, pairs, timer);
    r.encoder().close();
    double median = Stats.median(stepSeconds);
    long tokens = 0;
    for (TrainingExample e : pairs) {
      tokens +=
          count(tokenizer, e.anchor())
              + count(tokenizer, e.positive())
              + (e.negative() == null ? 0 : count(tokenizer, e.negative()));
    }
    double tokensPerStep = (double) tokens / pairs.size() * batch;
    double useful = tokensPerStep * 6 * nonEmbedding / median / 1e9;
    System.out.printf(
        Locale.ROOT,
        "%s | %d | %.3f | %.1f | %.0f | %.1f | %s | %s | %d | %d%s%n",
        length <= 20 ? "short" : length + " tok",
        batch,
        median,
        batch / median,
        tokensPerStep,
        useful,
        Double.isNaN(ceiling) ? "-" : String.format(Locale.ROOT, "%.1f", ceiling),
        Double.isNaN(ceiling) ? "-" : String.format(Locale.ROOT, "%.2f", useful / ceiling),
        peakRssMiB(),
        r.summary().cachedSteps(),
        (cache == GradientCache.AUTO ? "" : " (gradient cache " + cache + ")")
            + (r.summary().cachedSteps() > 0
                ? String.format(
                    Locale.ROOT,
                    " (first pass %.0f%% of forward+backward)",
                    100
                        * r.summary().timings().firstPass()
                        / r.summary().timings().forwardBackward())
                : ""));
  }

  private static int count(TextTokenizer tokenizer, String text) {
    return tokenizer.tokenize(List.of(text))[0].length();
  }

  /**
   * Pairs whose anchors have about {@code anchorTokens} tokens and positives (and negatives) {@code
   * docTokens}.
   */
  static List<TrainingExample> pairs(
      List<String> sentences,
      TextTokenizer tokenizer,
      int n,
      int anchorTokens,
      int docTokens,
      boolean negatives,
      long seed) {
    Random random = new Random(seed);
    List<TrainingExample> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String a = text(sentences, tokenizer, random, anchorTokens);
      String p = text(sentences, tokenizer, random, docTokens);
      out.add(
          negatives
              ? TrainingExample.triplet(a, p, text(sentences, tokenizer, random, docTokens))
              : TrainingExample.pair(a, p));
    }
    return out;
  }

  private static String text(
      List<String> sentences, TextTokenizer tokenizer, Random random, int tokens) {
    StringBuilder sb = new StringBuilder();
    while (true) {
      String next = sentences.get(random.nextInt(sentences.size()));
      String candidate = sb.length() == 0 ? next : sb + " " + next;
      int length = tokenizer.tokenize(List.of(candidate))[0].length();
      if (length > tokens && sb.length() > 0) {
        return sb.toString();
      }
      sb.setLength(0);
      sb.append(candidate);
      if (length >= tokens) {
        return sb.toString(); // truncated by the tokenizer at the model's max length if longer
      }
    }
  }

  static double matMulCeiling() {
    return matMul(1024, 1024, 1024, 15);
  }

  /** Median GFLOP/s of {@code [m x k] @ [k x n]} in single precision, after 3 warm-up products. */
  static double matMul(int rows, int inner, int columns, int times) {
    return matMul(rows, inner, columns, times, false);
  }

  /**
   * GFLOP/s of {@code [rows x inner] @ [inner x columns]}; with {@code transposed} the right factor
   * is stored {@code [columns x inner]} (as torch.nn.Linear stores weights) and multiplied as its
   * transposed view.
   */
  static double matMul(int rows, int inner, int columns, int times, boolean transposed) {
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      NDArray a = m.randomUniform(-1, 1, new Shape(rows, inner));
      NDArray b =
          transposed
              ? m.randomUniform(-1, 1, new Shape(columns, inner)).transpose()
              : m.randomUniform(-1, 1, new Shape(inner, columns));
      List<Double> gflops = new ArrayList<>();
      for (int i = 0; i < times + 3; i++) {
        long t0 = System.nanoTime();
        try (NDArray c = a.matMul(b)) {
          c.getFloat(0, 0);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        if (i >= 3) {
          gflops.add(2.0 * rows * inner * columns / s / 1e9);
        }
      }
      return Stats.median(gflops);
    }
  }

  static void resetPeak() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    } catch (IOException | RuntimeException e) {
      // not Linux or not permitted: the peak then covers the whole process
    }
  }

  static long peakRssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }

  private static void setDefault(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
