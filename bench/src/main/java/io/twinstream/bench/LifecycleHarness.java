package io.twinstream.bench;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.store.StoreOptions;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.lifecycle.LifecycleController;
import io.twinstream.lifecycle.Step;
import io.twinstream.lifecycle.VersionRecord;
import io.twinstream.lifecycle.flink.StoreLifecycle;
import io.twinstream.store.PgliteServer;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorRow;
import io.twinstream.store.VectorStore;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.KafkaRecords;
import io.twinstream.testkit.StandaloneCluster;
import io.twinstream.trainer.task.IncidentReportTask;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.configuration.Configuration;

/**
 * From a promotion to the store serving the new version, through the version lifecycle as {@code
 * twinstream run} and {@code twinstream controller} run it ({@link StoreLifecycle}): {@code N}
 * incident reports of 200-300 tokens on a compacted topic of an embedded broker, the embedded
 * Lucene store. Baseline in the same run: the bare encoder over the same texts (micro-batches of
 * 256, every core), whose vectors fill the first version (as the stream would: the lifecycle finds
 * it complete and serves it without a backfill). Then, per parallelism, a new version is published
 * and promoted on {@code model-updates}; measured: promotion record to the backfill's first row in
 * the store, the backfill's rate (documents / its step's time, job start and model load included),
 * the store's cut-over, and promotion to FULLY_SERVED.
 *
 * <p>{@code java -cp "bench/target/benchmarks.jar:bench/target/lib/*"
 * io.twinstream.bench.LifecycleHarness [N=5000] [runs=1:256:500,1:64:128,2:64:128] [cluster]}: each
 * run is the backfill's parallelism, its micro-batch ({@code batch.size}) and its store batch
 * ({@code store.batch-size}). With {@code cluster}, the backfills run on a standalone Flink session
 * cluster (a JobManager and one TaskManager process of two slots, the backfill image's job jar in
 * their {@code lib/}, {@code store.backfill-cluster}) into PostgreSQL with pgvector (PGlite), which
 * both processes reach; run it from the checkout after the build.
 */
public final class LifecycleHarness {

  private LifecycleHarness() {}

  /** How often the harness looks at the store and the journal: the resolution of "first row". */
  private static final Duration POLL = Duration.ofMillis(20);

  /** What the lifecycle told, per version. */
  private static final class Events implements LifecycleController.Listener {
    final Map<String, Duration> backfill = new LinkedHashMap<>();
    final Map<String, Duration> cutOver = new LinkedHashMap<>();
    final Map<String, Long> announced = new LinkedHashMap<>();

    @Override
    public synchronized void stepped(Step step, VersionRecord record, Duration took) {
      if (step instanceof Step.Backfill) {
        backfill.put(step.version(), took);
      }
      if (step instanceof Step.Announce) {
        announced.put(step.version(), System.nanoTime());
        notifyAll();
      }
    }

    @Override
    public synchronized void cutOver(String version, Duration took) {
      cutOver.put(version, took);
    }

    synchronized long awaitAnnounced(String version, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!announced.containsKey(version)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException(version + " not served within " + timeout);
        }
        wait(Math.max(1, left / 1_000_000));
      }
      return announced.get(version);
    }
  }

  private static boolean isFullyServed(StoreLifecycle lifecycle, String version) {
    try {
      VersionRecord r = lifecycle.journal().read().get(version);
      return r != null && r.phase() == io.twinstream.lifecycle.Phase.FULLY_SERVED;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * CPU seconds used so far by this process (the harness, the embedded broker and, in process, the
   * backfill) and each of its child processes, by role.
   */
  private static Map<String, Double> cpuSeconds() {
    Map<String, Double> out = new java.util.TreeMap<>();
    out.put("harness+broker", seconds(ProcessHandle.current()));
    ProcessHandle.current()
        .descendants()
        .forEach(
            child -> {
              // The children: PGlite (node) and, on a cluster, the Flink processes (JobManager and
              // TaskManager: their command lines, a class path of hundreds of jars, do not tell
              // them apart reliably).
              String role =
                  child.info().command().orElse("").endsWith("node")
                      ? "PGlite"
                      : "Flink cluster (JobManager + TaskManager)";
              out.merge(role, seconds(child), Double::sum);
            });
    return out;
  }

  private static double seconds(ProcessHandle process) {
    return process.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
  }

  /** A session cluster of one TaskManager with two slots, the backfill image's job jar in lib/. */
  private static StandaloneCluster cluster(Path tmp) throws Exception {
    Path jar;
    try (var jars =
        Files.newDirectoryStream(
            Path.of("stream-trainer/target"), "twinstream-stream-trainer-*-job.jar")) {
      jar = jars.iterator().next().toAbsolutePath();
    }
    StandaloneCluster cluster =
        StandaloneCluster.start(
            tmp.resolve("flink"),
            Map.of(
                "taskmanager.numberOfTaskSlots", "2",
                "taskmanager.memory.process.size", "4g",
                "taskmanager.memory.task.off-heap.size", "1500m",
                "taskmanager.memory.managed.fraction", "0.05",
                "jobmanager.memory.process.size", "1024m"),
            List.of(jar));
    cluster.startTaskManager();
    return cluster;
  }

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
    boolean onCluster = args.length > 2 && args[2].equals("cluster");
    List<int[]> runs = new ArrayList<>();
    for (String r : (args.length > 1 ? args[1] : "1:256:500,1:64:128,2:64:128").split(",")) {
      String[] f = r.trim().split(":");
      runs.add(new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2])});
    }
    Map<String, String> corpus = IncidentReportTask.generate(42).corpus();
    List<String> ids = new ArrayList<>(corpus.keySet()).subList(0, Math.min(n, corpus.size()));
    List<String> texts = ids.stream().map(corpus::get).toList();
    ModelBundle bundle = ModelBundle.builtin(ModelBundle.DEFAULT);
    Path tmp = Files.createTempDirectory("twinstream-lifecycle-bench-");
    PrintWriter log = new PrintWriter(System.err, true);
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        PgliteServer pg = onCluster ? PgliteServer.start() : null;
        StandaloneCluster cluster = onCluster ? cluster(tmp) : null) {
      String bootstrap = kafka.bootstrapServers();
      int partitions = runs.stream().mapToInt(r -> r[0]).max().orElse(1);
      kafka.createTopics(
          Map.of("sentences", partitions),
          Map.of("sentences", Map.of("cleanup.policy", "compact")));
      Map<String, String> documents = new LinkedHashMap<>();
      for (int i = 0; i < ids.size(); i++) {
        documents.put(ids.get(i), texts.get(i));
      }
      KafkaRecords.produceSentences(bootstrap, "sentences", documents);
      ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
      registry.publish(bundle.withVersion("v1", bundle.version()));
      KafkaModelUpdates updates =
          new KafkaModelUpdates(
                  registry, "default", Map.of("bootstrap.servers", bootstrap), "model-updates")
              .ensureTopic();
      StoreSpec spec =
          onCluster
              ? StoreSpec.pgvector(
                  pg.jdbcUrl() + "&user=postgres&password=postgres&prepareThreshold=0",
                  "embeddings",
                  384,
                  "",
                  "")
              : StoreSpec.lucene(tmp.resolve("store"), 384);

      // Baseline: the bare encoder; its vectors are v1's rows, as the stream would write them.
      double bare;
      long tokens = 0;
      try (SentenceEncoder encoder = SentenceEncoder.open(bundle, EncoderOptions.defaults());
          VectorStore store = spec.open()) {
        encoder.encode(texts.subList(0, 64)); // warm
        long t0 = System.nanoTime();
        List<VectorRow> rows = new ArrayList<>();
        for (int from = 0; from < texts.size(); from += 256) {
          List<SentenceEmbedding> batch =
              encoder.encode(texts.subList(from, Math.min(texts.size(), from + 256)));
          for (int i = 0; i < batch.size(); i++) {
            tokens += batch.get(i).tokens();
            rows.add(new VectorRow(ids.get(from + i), "v1", batch.get(i).vector(), 0));
          }
        }
        bare = texts.size() / ((System.nanoTime() - t0) / 1e9);
        store.upsert(rows);
      }
      updates.promote("v1", "the first version, filled by the stream");
      System.out.printf(
          Locale.ROOT,
          "%s; %,d incident reports (mean %.0f tokens), model %s (fp32); bare encoder %.1f docs/s;"
              + " backfills on %s%n",
          MachineInfo.describe(),
          ids.size(),
          tokens / (double) ids.size(),
          bundle.version(),
          bare,
          onCluster
              ? "a standalone Flink session cluster (1 TaskManager, 2 slots), store pgvector (PGlite)"
              : "a mini-cluster in the harness's process, store Lucene");
      System.out.println(
          "| parallelism | batch.size | store.batch-size | bare encoder docs/s (baseline) |"
              + " backfill docs/s | backfill / bare | promotion -> first row | cut-over |"
              + " promotion -> FULLY_SERVED |");
      System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
      int version = 1;
      for (int[] run : runs) {
        int p = run[0];
        Configuration conf = new Configuration();
        conf.set(JobOptions.BOOTSTRAP_SERVERS, bootstrap);
        conf.set(EmbedderOptions.SENTENCES_TOPIC, "sentences");
        conf.set(JobOptions.MODEL_REGISTRY, registry.root().toString());
        conf.set(JobOptions.PARALLELISM, p);
        conf.set(EmbedderOptions.BATCH_SIZE, run[1]);
        conf.set(StoreOptions.BATCH_SIZE, run[2]);
        conf.set(JobOptions.CHECKPOINT_DIR, tmp.resolve("checkpoints-" + version).toString());
        conf.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(10));
        conf.set(StoreOptions.KIND, spec.kind().id());
        conf.set(StoreOptions.LOCATION, spec.location());
        if (onCluster) {
          conf.set(StoreOptions.BACKFILL_CLUSTER, "http://localhost:" + cluster.restPort());
          conf.set(
              JobOptions.CHECKPOINT_DIR, tmp.resolve("checkpoints-" + version).toUri().toString());
        }
        Events events = new Events();
        try (StoreLifecycle lifecycle =
            StoreLifecycle.open(conf, registry, null, Optional.empty(), "lifecycle", log, events)) {
          lifecycle.controller().start();
          String previous = "v" + version;
          long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
          while (!isFullyServed(lifecycle, previous)) { // announced, by this controller or before
            if (System.nanoTime() > deadline) {
              throw new IllegalStateException(previous + " not served within 10 minutes");
            }
            Thread.sleep(POLL.toMillis());
          }
          String next = "v" + (++version);
          registry.publish(bundle.withVersion(next, previous));
          Map<String, Double> cpuBefore = cpuSeconds();
          long promoted = System.nanoTime();
          updates.promote(next, "benchmark");
          VectorStore store = lifecycle.store();
          // Polled, not spun: a spinning thread would take a core (and the store's attention) from
          // the backfill whose first row it waits for.
          while (store.count(next) == 0) {
            Thread.sleep(POLL.toMillis());
          }
          double firstRow = (System.nanoTime() - promoted) / 1e9;
          long served = events.awaitAnnounced(next, Duration.ofHours(1));
          Map<String, Double> cpuAfter = cpuSeconds();
          double wall = (served - promoted) / 1e9;
          StringBuilder cpu = new StringBuilder();
          for (Map.Entry<String, Double> e : cpuAfter.entrySet()) {
            double used = e.getValue() - cpuBefore.getOrDefault(e.getKey(), 0.0);
            cpu.append(
                String.format(
                    Locale.ROOT, "%s %.0f s (%.2f cores); ", e.getKey(), used, used / wall));
          }
          log.printf(
              Locale.ROOT,
              "CPU from the promotion to FULLY_SERVED of %s (%.0f s, %d cores): %s%n",
              next,
              wall,
              Runtime.getRuntime().availableProcessors(),
              cpu);
          double rate = ids.size() / (events.backfill.get(next).toNanos() / 1e9);
          System.out.printf(
              Locale.ROOT,
              "| %d | %d | %d | %.1f | %.1f | %.2f | %.1f s | %.1f ms | %.0f s |%n",
              p,
              run[1],
              run[2],
              bare,
              rate,
              rate / bare,
              firstRow,
              events.cutOver.get(next).toNanos() / 1e6,
              (served - promoted) / 1e9);
          if (store.count(next) != ids.size()) {
            throw new IllegalStateException(
                next + " has " + store.count(next) + " rows for " + ids.size() + " documents");
          }
        }
      }
    }
  }
}
