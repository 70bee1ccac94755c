package io.twinstream.cli;

import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.store.Backfill;
import io.twinstream.embedder.store.StoreOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.kafka.TopicReader;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.ModelUpdateKeys;
import io.twinstream.schemas.RecordDecodeException;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The backfill started by {@code twinstream run} itself (with a store and a registry): it follows
 * {@code model-updates} and, whenever the registry's serving decision (PROMOTED, ROLLED_BACK) names
 * a version the store does not search — and at start, the job's first model when the store searches
 * nothing — backfills that version ({@link Backfill}), cuts the store over to it and announces
 * FULLY_SERVED, which ends the job's dual writing. A backfill that fails is logged and tried again
 * after {@link #RETRY}; one that a newer decision overtakes completes, then the newer one runs.
 */
final class AutoBackfill implements AutoCloseable {

  /** Wait before a failed backfill is tried again. */
  static final Duration RETRY = Duration.ofSeconds(30);

  private static final Duration POLL = Duration.ofSeconds(2);

  private final Configuration conf;
  private final StoreSpec store;
  private final ModelRegistry registry;
  private final String registryName;
  private final String topic;
  private final Map<String, Object> kafka;
  private final PrintWriter err;
  private final Thread thread;
  private final ScheduledExecutorService drops =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "twinstream-store-grace");
            t.setDaemon(true);
            return t;
          });
  private volatile boolean closed;
  private volatile int done;

  AutoBackfill(Configuration conf, StoreSpec store, ModelRegistry registry, PrintWriter err) {
    this.conf = conf;
    this.store = store;
    this.registry = registry;
    this.registryName = conf.get(JobOptions.REGISTRY_NAME);
    this.topic = conf.get(JobOptions.MODEL_UPDATES_TOPIC);
    this.kafka = new HashMap<>();
    JobOptions.kafkaProperties(conf).forEach((k, v) -> kafka.put(k.toString(), v));
    kafka.put("bootstrap.servers", conf.get(JobOptions.BOOTSTRAP_SERVERS));
    this.err = err;
    this.thread = new Thread(this::follow, "twinstream-auto-backfill");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Backfills completed so far. */
  int done() {
    return done;
  }

  private void follow() {
    String first = conf.get(JobOptions.MODEL);
    while (!closed) {
      try {
        String target = decided();
        String model;
        if (target != null) {
          model = registry.uri(target).toString();
        } else if (!servesAnything()) {
          ModelBundle bundle =
              "registry".equals(first)
                  ? registry.load(registry.current().orElseThrow())
                  : ModelBundle.resolve(first);
          target = bundle.version();
          model = "registry".equals(first) ? registry.uri(target).toString() : first;
        } else {
          model = null;
        }
        if (target != null && !serves(target)) {
          backfill(target, model);
          done++;
        }
        pause(POLL);
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (closed) {
          return;
        }
        err.println(
            "twinstream run: auto-backfill failed, nothing cut over; trying again in "
                + RETRY.toSeconds()
                + " s: "
                + e.getMessage());
        err.flush();
        try {
          pause(RETRY);
        } catch (InterruptedException stop) {
          return;
        }
      }
    }
  }

  private void pause(Duration d) throws InterruptedException {
    long until = System.nanoTime() + d.toNanos();
    while (!closed && System.nanoTime() < until) {
      Thread.sleep(100);
    }
  }

  /** The version of the registry's newest serving decision on the topic, or null. */
  private String decided() throws RecordDecodeException {
    AvroCodec<ModelUpdate> codec = AvroCodec.of(ModelUpdate.class);
    ModelUpdate newest = null;
    for (ConsumerRecord<byte[], byte[]> r :
        TopicReader.readCommitted(kafka, topic, Duration.ofSeconds(60))) {
      if (r.value() == null || !ModelUpdateKeys.isServingKey(r.key(), registryName)) {
        continue;
      }
      ModelUpdate u = codec.decode(r.value());
      boolean serving =
          u.getStatus() == ModelStatus.PROMOTED || u.getStatus() == ModelStatus.ROLLED_BACK;
      if (serving && (newest == null || u.getCreatedAt().isAfter(newest.getCreatedAt()))) {
        newest = u;
      }
    }
    return newest == null ? null : newest.getVersion();
  }

  private boolean servesAnything() {
    try (VectorStore s = store.open()) {
      return s.servingVersion().isPresent();
    }
  }

  private boolean serves(String version) {
    try (VectorStore s = store.open()) {
      return s.servingVersion().map(version::equals).orElse(false);
    }
  }

  private void backfill(String version, String model) throws Exception {
    err.println("twinstream run: auto-backfill of " + version + " into " + store + " ...");
    err.flush();
    Configuration c = new Configuration(conf);
    String checkpoints = conf.get(JobOptions.CHECKPOINT_DIR);
    if (!checkpoints.isBlank()) {
      c.set(JobOptions.CHECKPOINT_DIR, checkpoints + "-backfill");
    }
    c.set(JobOptions.PARALLELISM, 1);
    long[] lastNote = {System.nanoTime()};
    Backfill.Result result =
        Backfill.run(
            c,
            model,
            version,
            store,
            (rows, records) -> {
              if (System.nanoTime() - lastNote[0] > 10_000_000_000L) {
                lastNote[0] = System.nanoTime();
                err.printf(
                    Locale.ROOT,
                    "twinstream run: auto-backfill of %s: %d rows (%d records to read)%n",
                    version,
                    rows,
                    records);
                err.flush();
              }
            });
    String previous;
    try (VectorStore s = store.open()) {
      previous = s.servingVersion().orElse(null);
      s.cutOver(version);
    }
    if (previous != null && !previous.equals(version)) {
      conf.getOptional(StoreOptions.GRACE).ifPresent(grace -> dropLater(previous, grace));
    }
    ModelBundle bundle =
        registry.list().stream().anyMatch(m -> m.version().equals(version))
            ? registry.load(version)
            : ModelBundle.resolve(model);
    FullyServed.announce(
        registry, registryName, kafka, topic, bundle, result, "auto-backfill complete");
    err.printf(
        Locale.ROOT,
        "twinstream run: backfilled %s (%d rows in %.1f s), the store serves it; FULLY_SERVED"
            + " announced%n",
        version,
        result.rows(),
        result.took().toNanos() / 1e9);
    err.flush();
  }

  /** Drops {@code old}'s rows {@code grace} from now, unless it serves again by then. */
  private void dropLater(String old, Duration grace) {
    drops.schedule(
        () -> {
          try {
            err.println("twinstream run: " + FullyServed.dropUnlessServing(store, old));
          } catch (RuntimeException e) {
            err.println("twinstream run: dropping " + old + " failed: " + e.getMessage());
          }
          err.flush();
        },
        grace.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    drops.shutdownNow();
    closed = true;
    thread.interrupt();
    try {
      thread.join(Duration.ofSeconds(30).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
