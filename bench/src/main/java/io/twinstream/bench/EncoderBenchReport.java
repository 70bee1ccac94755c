package io.twinstream.bench;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.onnx.BertWeights;
import io.twinstream.encoder.onnx.OnnxModel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the encoder JMH benchmarks (ours, LangChain4j, the MatMul ceiling) in one go and prints a
 * markdown table: median sentences/s, ratio to LangChain4j fp32 from the same run, and useful
 * GFLOP/s (real tokens x 2 x non-embedding parameters per second) against the measured MatMul
 * ceiling.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.EncoderBenchReport
 * [iterations]}
 */
public final class EncoderBenchReport {

  private EncoderBenchReport() {}

  public static void main(String[] args) throws Exception {
    int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    Options options =
        new OptionsBuilder()
            .include(EncoderBenchmark.class.getName())
            .include(LangChain4jBenchmark.class.getName())
            .include(MatMulBenchmark.class.getName())
            .forks(1)
            .warmupIterations(2)
            .warmupTime(TimeValue.seconds(5))
            .measurementIterations(iterations)
            .measurementTime(TimeValue.seconds(5))
            .jvmArgsAppend("-Dtwinstream.dataDir=" + BenchCorpus.dataDir().toAbsolutePath())
            .build();
    Collection<RunResult> results = new Runner(options).run();

    Map<String, List<Double>> scores = new LinkedHashMap<>();
    for (RunResult run : results) {
      String name = run.getParams().getBenchmark().replaceAll(".*\\.", "");
      StringBuilder key = new StringBuilder(name);
      for (String p : run.getParams().getParamsKeys()) {
        key.append(' ').append(p).append('=').append(run.getParams().getParam(p));
      }
      List<Double> values = new ArrayList<>();
      for (BenchmarkResult br : run.getBenchmarkResults()) {
        for (IterationResult ir : br.getIterationResults()) {
          values.add(ir.getPrimaryResult().getScore());
        }
      }
      scores.put(key.toString(), values);
    }

    double avgTokens;
    long nonEmbedding;
    ModelBundle bundle = ModelBundle.builtin(ModelBundle.DEFAULT);
    try (SentenceEncoder encoder = SentenceEncoder.open(bundle)) {
      long tokens = 0;
      List<String> texts = BenchCorpus.sentences(EncoderBenchmark.SENTENCES);
      for (SentenceEmbedding e : encoder.encode(texts)) {
        tokens += Math.min(e.tokens(), encoder.maxSequenceLength());
      }
      avgTokens = (double) tokens / texts.size();
      ByteBuffer model = bundle.modelBuffer();
      byte[] bytes = new byte[model.remaining()];
      model.get(bytes);
      nonEmbedding = BertWeights.extract(OnnxModel.parse(bytes)).config().nonEmbeddingParameters();
    }
    double ceiling1 = 0;
    double ceiling2 = 0;
    String ceilingShape = "";
    for (Map.Entry<String, List<Double>> e : scores.entrySet()) {
      if (e.getKey().startsWith("matmul")) {
        String shape = e.getKey().replaceAll(".*shape=(\\S+).*", "$1");
        double gflops = Stats.median(e.getValue()) * MatMulBenchmark.flops(shape) / 1e9;
        if (e.getKey().startsWith("matmul1")) {
          ceiling1 = Math.max(ceiling1, gflops);
        } else if (gflops > ceiling2) {
          ceiling2 = gflops;
          ceilingShape = shape;
        }
      }
    }
    double baseline = Stats.median(scores.getOrDefault("langchain4j variant=fp32", List.of()));

    // The same products on the other engines of this machine, right after the JMH run: libtorch
    // (through DJL, as the trainer uses it) and an AVX-512 BLAS (numpy's OpenBLAS). The ceiling is
    // the best of all of them, not ONNX Runtime's own.
    List<String> shapes = List.of("1024x1024x1024", "512x384x1536", "512x384x384", "512x1536x384");
    Map<String, Double> torch = new LinkedHashMap<>();
    for (String shape : shapes) {
      int[] mkn = MatMulBenchmark.dims(shape);
      torch.put(shape, TrainerBenchmark.matMul(mkn[0], mkn[1], mkn[2], 30));
    }
    BlasGemm.Result blas = BlasGemm.measure(shapes, 30);
    double best = ceiling2;
    String bestEngine = "ONNX Runtime (MLAS), " + ceilingShape;
    for (String shape : shapes) {
      if (torch.get(shape) > best) {
        best = torch.get(shape);
        bestEngine = "libtorch (DJL), " + shape;
      }
      Double b = blas.gflops().get(shape);
      if (b != null && b > best) {
        best = b;
        bestEngine = blas.blas() + ", " + shape;
      }
    }

    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "Machine: %s%n", MachineInfo.describe()));
    md.append(
        String.format(
            Locale.ROOT,
            "Corpus: %,d STS sentences, %.1f real tokens each on average; "
                + "%,d non-embedding parameters%n",
            EncoderBenchmark.SENTENCES,
            avgTokens,
            nonEmbedding));
    md.append(
        String.format(
            Locale.ROOT,
            "MatMul ceiling (ONNX Runtime fp32, best shape %s): %.0f GFLOP/s on 2 cores, "
                + "%.0f GFLOP/s on 1 core%n",
            ceilingShape,
            ceiling2,
            ceiling1));
    for (Map.Entry<String, List<Double>> e : scores.entrySet()) {
      if (e.getKey().startsWith("matmul")) {
        String shape = e.getKey().replaceAll(".*shape=(\\S+).*", "$1");
        md.append(
            String.format(
                Locale.ROOT,
                "  %s %s: %.0f GFLOP/s%n",
                e.getKey().startsWith("matmul1") ? "1 core " : "2 cores",
                shape,
                Stats.median(e.getValue()) * MatMulBenchmark.flops(shape) / 1e9));
      }
    }
    md.append('\n');
    md.append(
        "Single-precision GEMM on 2 cores, GFLOP/s (median), same run (ONNX Runtime: two single-threaded"
            + " sessions on two threads, from JMH; libtorch 2.7.1 through DJL; "
            + blas.blas()
            + "):\n\n");
    md.append("| M x K x N | ONNX Runtime (MLAS) | libtorch (DJL) | " + blas.blas() + " |\n");
    md.append("|---|---:|---:|---:|\n");
    for (String shape : shapes) {
      Double ort = null;
      for (Map.Entry<String, List<Double>> e : scores.entrySet()) {
        if (e.getKey().startsWith("matmul2") && e.getKey().contains("shape=" + shape)) {
          ort = Stats.median(e.getValue()) * MatMulBenchmark.flops(shape) / 1e9;
        }
      }
      Double b = blas.gflops().get(shape);
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.0f | %s |%n",
              shape,
              ort == null ? "–" : String.format(Locale.ROOT, "%.0f", ort),
              torch.get(shape),
              b == null ? "–" : String.format(Locale.ROOT, "%.0f", b)));
    }
    md.append(
        String.format(
            Locale.ROOT,
            "%nBest measured single-precision GEMM on this machine: %.0f GFLOP/s (%s)%n%n",
            best,
            bestEngine));
    md.append(
        "| encoder | batch | sentences/s (median) | vs LangChain4j fp32 | useful GFLOP/s |"
            + " of ONNX Runtime's GEMM | of the best measured GEMM |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|\n");
    for (Map.Entry<String, List<Double>> e : scores.entrySet()) {
      if (e.getKey().startsWith("matmul")) {
        continue;
      }
      double median = Stats.median(e.getValue());
      double gflops = median * avgTokens * 2 * nonEmbedding / 1e9;
      String label =
          e.getKey().startsWith("twinstream")
              ? "Twinstream " + e.getKey().replaceAll(".*model=(\\S+).*", "$1")
              : "LangChain4j " + e.getKey().replaceAll(".*variant=(\\S+).*", "$1");
      String batch =
          e.getKey().contains("batchSize=")
              ? e.getKey().replaceAll(".*batchSize=(\\d+).*", "$1")
              : "1";
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %,.0f | %.2fx | %.0f | %.0f%% | %.0f%% |%n",
              label,
              batch,
              median,
              median / baseline,
              gflops,
              100 * gflops / ceiling2,
              100 * gflops / best));
    }
    System.out.println();
    System.out.println(md);
    Path out = Path.of("bench-results", "encoder-jmh.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md.toString(), StandardCharsets.UTF_8);
    System.out.println("written to " + out.toAbsolutePath());
  }
}
