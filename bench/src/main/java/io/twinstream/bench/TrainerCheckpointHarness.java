package io.twinstream.bench;

import io.twinstream.kafka.Topics;
import io.twinstream.records.FeedbackPair;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.KafkaRecords;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;

/**
 * The trainer's checkpoint in the running job, as Flink measures it: {@code twinstream run} with
 * the trainer on (rounds never due) as a process of its own, fed search feedback — ten pairs per
 * search, the query as anchor, one of 5,183 documents of about 256 tokens as candidate — until its
 * replay buffer is full, then Flink's {@code lastCheckpointSize} and {@code lastCheckpointDuration}
 * over the next checkpoints, against the same job's checkpoints before any feedback came (the
 * baseline of the same run), and against the raw bytes of the buffered texts (what writing every
 * pair's texts costs).
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.TrainerCheckpointHarness
 * [capacity=20000] [checkpoints=10]} from the repository root, after {@code mvn package}.
 */
public final class TrainerCheckpointHarness {

  private TrainerCheckpointHarness() {}

  public static void main(String[] args) throws Exception {
    int capacity = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int samples = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Path cliJar = Path.of("cli", "target", "twinstream.jar");
    if (!Files.exists(cliJar)) {
      throw new IllegalStateException(cliJar + " is missing: run 'mvn -DskipTests package' first");
    }
    Path dir = Files.createDirectories(Path.of("bench-results", "trainer-checkpoint"));
    deleteTree(dir.resolve("state"));
    deleteTree(dir.resolve("registry"));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      try (Admin admin = kafka.admin()) {
        Topics.create(
            admin,
            Map.of(
                "sentences",
                1,
                "embeddings",
                1,
                "dead-letters",
                1,
                "feedback-pairs",
                1,
                "model-updates",
                1),
            Map.of("model-updates", Topics.COMPACTED),
            Duration.ofSeconds(60));
      }
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> command =
          List.of(
              java,
              "-Xmx2g",
              "-jar",
              cliJar.toString(),
              "run",
              "--bootstrap",
              bootstrap,
              "--state-dir",
              dir.resolve("state").toString(),
              "--registry",
              dir.resolve("registry").toString(),
              "--metrics-port",
              Integer.toString(port),
              "--checkpoint-interval",
              "2s",
              "--set",
              "trainer.enabled=true",
              "--set",
              "trainer.buffer.capacity=" + capacity,
              "--set",
              "trainer.every-pairs=1000000000",
              "--set",
              "trainer.every=365d");
      Process job =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("job.log").toFile())
              .start();
      try {
        Scrape metrics = new Scrape(port);
        metrics.awaitAtLeast("numberOfCompletedCheckpoints", 3 + samples, Duration.ofMinutes(3));
        List<Double> emptySize = new ArrayList<>();
        List<Double> emptyDuration = new ArrayList<>();
        metrics.sample(samples, emptySize, emptyDuration);
        System.out.printf("before feedback: %s%n", summary(emptySize, emptyDuration));

        List<FeedbackPair> feedback = feedback(capacity);
        long textBytes = 0;
        for (FeedbackPair p : feedback) {
          textBytes += p.getAnchor().length() + p.getCandidate().length();
        }
        System.out.printf(
            "producing %,d feedback pairs (%,d bytes of text) ...%n", feedback.size(), textBytes);
        KafkaRecords.produce(bootstrap, "feedback-pairs", feedback, FeedbackPair::getAnchor);
        metrics.awaitAtLeast("feedbackBuffered", capacity, Duration.ofMinutes(10));
        metrics.awaitNewCheckpoints(2, Duration.ofMinutes(2));
        List<Double> fullSize = new ArrayList<>();
        List<Double> fullDuration = new ArrayList<>();
        metrics.sample(samples, fullSize, fullDuration);
        double size = Stats.median(fullSize);
        double rows = metrics.get("feedbackBuffered") + metrics.get("feedbackHeldOut");
        double rawText = rows * textBytes / feedback.size();
        System.out.printf(Locale.ROOT, "full buffer: %s%n", summary(fullSize, fullDuration));
        System.out.printf(
            Locale.ROOT,
            "%n| capacity | checkpoint size (median) | duration (median) | empty-buffer checkpoint"
                + " | size / raw text of the buffer |%n|---|---|---|---|---|%n| %,d | %,.0f B | %.0f ms |"
                + " %,.0f B, %.0f ms | %.3f |%n",
            capacity,
            size,
            Stats.median(fullDuration),
            Stats.median(emptySize),
            Stats.median(emptyDuration),
            size / rawText);
      } finally {
        job.destroy();
        job.waitFor();
      }
    }
  }

  private static String summary(List<Double> size, List<Double> duration) {
    return String.format(
        Locale.ROOT,
        "checkpoint size median %,.0f B (%s), duration median %.0f ms (%s)",
        Stats.median(size),
        size,
        Stats.median(duration),
        duration);
  }

  /**
   * Search feedback: per search ten pairs, one clicked; capacity training pairs plus the 20%
   * held-out side, so both sides fill.
   */
  static List<FeedbackPair> feedback(int capacity) {
    Random random = new Random(1);
    String[] words =
        ("the a of service pool database request error timeout cache queue deploy disk memory "
                + "client protein cell gene patient study results method analysis model data")
            .split(" ");
    String[] documents = new String[TrainerStateBenchmark.DOCUMENTS];
    for (int d = 0; d < documents.length; d++) {
      StringBuilder doc = new StringBuilder("Document " + d + ": ");
      for (int w = 0; w < 200; w++) {
        doc.append(words[random.nextInt(words.length)]).append(w % 17 == 16 ? ". " : " ");
      }
      documents[d] = doc.toString();
    }
    int pairs = capacity * 5 / 4 + capacity / 10;
    List<FeedbackPair> out = new ArrayList<>(pairs);
    for (int i = 0; i < pairs; i++) {
      out.add(
          FeedbackPair.newBuilder()
              .setAnchor("query " + (i / 10) + " about " + words[(i / 10) % words.length])
              .setCandidate(documents[random.nextInt(documents.length)])
              .setLabel(i % 10 == 0 ? 1f : 0f)
              .setSource("bench")
              .setEventTime(Instant.ofEpochMilli(1_700_000_000_000L + i))
              .build());
    }
    return out;
  }

  /** Flink's metrics from the job's Prometheus endpoint. */
  private static final class Scrape {
    private final HttpClient http = HttpClient.newHttpClient();
    private final URI uri;

    Scrape(int port) {
      this.uri = URI.create("http://localhost:" + port + "/metrics");
    }

    double get(String name) throws IOException, InterruptedException {
      String text;
      try {
        text =
            http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                .body();
      } catch (IOException e) {
        return Double.NaN; // not up yet
      }
      Matcher m =
          Pattern.compile("(?m)^\\S*_" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$")
              .matcher(text);
      double sum = Double.NaN;
      while (m.find()) {
        sum = (Double.isNaN(sum) ? 0 : sum) + Double.parseDouble(m.group(2));
      }
      return sum;
    }

    void awaitAtLeast(String name, double value, Duration timeout) throws Exception {
      long deadline = System.nanoTime() + timeout.toNanos();
      double v;
      while (!((v = get(name)) >= value)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              name + " is " + v + ", not " + value + ", after " + timeout);
        }
        Thread.sleep(250);
      }
    }

    void awaitNewCheckpoints(int n, Duration timeout) throws Exception {
      awaitAtLeast(
          "numberOfCompletedCheckpoints", get("numberOfCompletedCheckpoints") + n, timeout);
    }

    /** The size and duration of each of the next {@code n} completed checkpoints. */
    void sample(int n, List<Double> sizes, List<Double> durations) throws Exception {
      for (int i = 0; i < n; i++) {
        awaitNewCheckpoints(1, Duration.ofMinutes(2));
        sizes.add(get("lastCheckpointSize"));
        durations.add(get("lastCheckpointDuration"));
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
