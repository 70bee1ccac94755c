package io.twinstream.reliability;

import io.twinstream.kafka.Topics;
import io.twinstream.testkit.EmbeddedKafka;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;

/**
 * Where a case runs: the CLI jar it starts the job from, a working directory of its own (broker
 * data, state directory, job log) and a stream for progress lines.
 *
 * @param cliJar {@code cli/target/twinstream.jar}
 * @param dir the case's working directory
 * @param progress where progress goes (one line per step)
 */
record Setup(Path cliJar, Path dir, PrintStream progress) {

  static final String SENTENCES = "sentences";
  static final String EMBEDDINGS = "embeddings";
  static final String DEAD_LETTERS = "dead-letters";
  static final String GROUP = "twinstream-embedder";

  /** A case's topics: sentences and embeddings with 2 partitions, dead letters with 1. */
  static void createTopics(EmbeddedKafka kafka, Map<String, Map<String, String>> configs) {
    try (Admin admin = kafka.admin()) {
      Topics.create(
          admin,
          Map.of(SENTENCES, 2, EMBEDDINGS, 2, DEAD_LETTERS, 1),
          configs,
          Duration.ofSeconds(60));
    }
  }

  /** The arguments of {@code twinstream run} against {@code bootstrap} with this case's state. */
  List<String> runArgs(String bootstrap, String... more) {
    List<String> args = new ArrayList<>();
    args.add("run");
    args.add("--bootstrap");
    args.add(bootstrap);
    args.add("--state-dir");
    args.add(dir.resolve("state").toString());
    args.add("--checkpoint-interval");
    args.add("1s");
    args.addAll(List.of(more));
    return args;
  }

  Path log() {
    return dir.resolve("job.log");
  }

  void say(String format, Object... args) {
    progress.printf("[%tT] %s%n", System.currentTimeMillis(), String.format(format, args));
    progress.flush();
  }

  static Duration since(long startedNanos) {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  /** Deletes {@code dir} and everything in it (quietly: best effort). */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort
    }
  }

  /** Checked wrapper for steps that must succeed. */
  static void check(boolean ok, String what) throws IOException {
    if (!ok) {
      throw new IOException(what);
    }
  }
}
