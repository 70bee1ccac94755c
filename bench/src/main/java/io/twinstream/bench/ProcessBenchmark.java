package io.twinstream.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times {@code twinstream embed} as a whole process (JVM start, model load, reading, embedding,
 * writing) on the same sentences as LangChain4j's {@code embedAll} in a process of its own ({@link
 * LangChain4jEmbedMain}), alternating the runs so that drifts of a noisy machine hit both. Prints a
 * markdown table of medians and ratios to the LangChain4j fp32 median of the same run.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.ProcessBenchmark [sentences]
 * [repetitions] [batch sizes, comma-separated]} from the repository root, after {@code mvn
 * package}.
 */
public final class ProcessBenchmark {

  private ProcessBenchmark() {}

  public static void main(String[] args) throws Exception {
    int sentences = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    String[] batches = (args.length > 2 ? args[2] : "16,32,64").split(",");
    Path cliJar = Path.of("cli", "target", "twinstream.jar");
    if (!Files.exists(cliJar)) {
      throw new IllegalStateException(cliJar + " is missing: run 'mvn -DskipTests package' first");
    }
    String benchJar =
        new File(ProcessBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .getPath();
    Path dir = Files.createDirectories(Path.of("bench-results", "process"));
    Path corpus = BenchCorpus.write(dir.resolve("corpus.txt"), sentences);
    Path out = dir.resolve("out.jsonl");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    Map<String, List<String>> commands = new LinkedHashMap<>();
    commands.put(
        "LangChain4j fp32",
        List.of(
            java,
            "-cp",
            benchJar,
            LangChain4jEmbedMain.class.getName(),
            "fp32",
            corpus.toString(),
            out.toString()));
    commands.put(
        "LangChain4j int8",
        List.of(
            java,
            "-cp",
            benchJar,
            LangChain4jEmbedMain.class.getName(),
            "int8",
            corpus.toString(),
            out.toString()));
    for (String model : List.of("default", "default-int8")) {
      for (String batch : batches) {
        commands.put(
            "twinstream embed " + model + " batch " + batch,
            List.of(
                java,
                "-jar",
                cliJar.toString(),
                "embed",
                "--no-progress",
                "--model",
                model,
                "--batch-size",
                batch,
                "--input",
                corpus.toString(),
                "--output",
                out.toString()));
      }
    }
    Map<String, List<Double>> seconds = new LinkedHashMap<>();
    commands.keySet().forEach(k -> seconds.put(k, new ArrayList<>()));
    for (int r = 1; r <= reps; r++) {
      for (Map.Entry<String, List<String>> c : commands.entrySet()) {
        double s = time(c.getValue(), dir.resolve("stderr.log"));
        long lines;
        try (var stream = Files.lines(out, StandardCharsets.UTF_8)) {
          lines = stream.count();
        }
        if (lines != sentences) {
          throw new IllegalStateException(
              c.getKey() + " wrote " + lines + " lines, expected " + sentences);
        }
        seconds.get(c.getKey()).add(s);
        System.err.printf(Locale.ROOT, "[%d/%d] %-38s %6.1f s%n", r, reps, c.getKey(), s);
      }
    }
    double baseline = Stats.median(seconds.get("LangChain4j fp32"));
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "Machine: %s%nSentences: %,d; %d repetitions, alternating%n%n",
            MachineInfo.describe(),
            sentences,
            reps));
    md.append(
        "| process | median wall time (s) | sentences/s | speed vs LangChain4j fp32 |\n|---|---:|---:|---:|\n");
    for (Map.Entry<String, List<Double>> e : seconds.entrySet()) {
      double median = Stats.median(e.getValue());
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f | %,.0f | %.2fx |%n",
              e.getKey(),
              median,
              sentences / median,
              baseline / median));
    }
    System.out.println(md);
    Files.writeString(
        Path.of("bench-results", "process.md"), md.toString(), StandardCharsets.UTF_8);
  }

  private static double time(List<String> command, Path stderr)
      throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(stderr.toFile())
            .start();
    int code = p.waitFor();
    double s = (System.nanoTime() - t0) / 1e9;
    if (code != 0) {
      throw new IllegalStateException(
          String.join(" ", command) + " exited with " + code + "; see " + stderr);
    }
    return s;
  }
}
