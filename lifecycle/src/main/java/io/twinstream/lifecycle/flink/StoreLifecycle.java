package io.twinstream.lifecycle.flink;

import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.store.StoreOptions;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.lifecycle.AdapterDocuments;
import io.twinstream.lifecycle.LifecycleController;
import io.twinstream.lifecycle.LifecycleJournal;
import io.twinstream.lifecycle.ServingDecisions;
import io.twinstream.lifecycle.Step;
import io.twinstream.lifecycle.VersionRecord;
import io.twinstream.lifecycle.kafka.KafkaJournal;
import io.twinstream.lifecycle.kafka.ModelUpdatesDecisions;
import io.twinstream.lifecycle.kafka.RegistryAnnouncer;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.configuration.Configuration;

/**
 * The version lifecycle as this installation runs it, assembled in one place from the job's
 * settings: the store they name, the journal on {@code store.lifecycle-topic}, the registry's
 * decisions followed on {@code model-updates}, backfills on a local mini-cluster, FULLY_SERVED
 * announced through the registry. {@code twinstream run}, {@code demo}, {@code backfill} and {@code
 * controller} all run this one.
 */
public final class StoreLifecycle implements AutoCloseable {

  private final VectorStore store;
  private final KafkaJournal journal;
  private final ModelUpdatesDecisions followed;
  private final LifecycleController controller;

  private StoreLifecycle(
      VectorStore store,
      KafkaJournal journal,
      ModelUpdatesDecisions followed,
      LifecycleController controller) {
    this.store = store;
    this.journal = journal;
    this.followed = followed;
    this.controller = controller;
  }

  /**
   * Opens the lifecycle of the store {@code conf} names.
   *
   * @param conf the job's settings: Kafka, topics, store, registry name, checkpoints
   * @param first the job's first model option ({@code default}, a name, {@code registry}), served
   *     when the registry decided nothing and the store serves nothing; null = wait for a decision
   * @param target when present, serve this version whatever the registry decided (twinstream
   *     backfill --version); else follow the registry
   * @param registry the model registry; null = built-in models only, nothing announced
   * @param log where steps and progress are written (as {@code prefix: ...})
   */
  public static StoreLifecycle open(
      Configuration conf,
      ModelRegistry registry,
      String first,
      Optional<String> target,
      String prefix,
      PrintWriter log,
      LifecycleController.Listener also)
      throws Exception {
    Map<String, Object> kafka = new HashMap<>();
    JobOptions.kafkaProperties(conf).forEach((k, v) -> kafka.put(k.toString(), v));
    kafka.put("bootstrap.servers", conf.get(JobOptions.BOOTSTRAP_SERVERS));
    String registryName = conf.get(JobOptions.REGISTRY_NAME);
    String updatesTopic = conf.get(JobOptions.MODEL_UPDATES_TOPIC);
    StoreSpec spec = StoreOptions.spec(conf);
    ModelSource models = new ModelSource(registry, first);
    VectorStore store = spec.open();
    KafkaJournal journal = null;
    ModelUpdatesDecisions followed = null;
    try {
      journal = KafkaJournal.open(kafka, conf.get(StoreOptions.LIFECYCLE_TOPIC), registryName);
      ServingDecisions decisions;
      if (target.isPresent()) {
        decisions = fixed(target.get());
      } else {
        followed =
            ModelUpdatesDecisions.follow(kafka, updatesTopic, registryName, Duration.ofSeconds(60));
        decisions = followed;
      }
      if (registry != null) {
        decisions = new AdapterDocuments(decisions, registry);
      }
      LifecycleController.Settings settings =
          LifecycleController.Settings.defaults()
              .withFirst(first == null ? null : models.firstVersion())
              .withGrace(conf.getOptional(StoreOptions.GRACE));
      LifecycleController controller =
          new LifecycleController(
              settings,
              store,
              journal,
              decisions,
              new FlinkBackfiller(conf, spec, models, BackfillCluster.of(conf)),
              registry == null
                  ? r ->
                      log.println(
                          prefix
                              + ": no registry, so FULLY_SERVED "
                              + r.version()
                              + " is not announced (an embedding job without a registry takes no"
                              + " model updates and has nothing to dual-write)")
                  : new RegistryAnnouncer(
                      registry,
                      registryName,
                      kafka,
                      updatesTopic,
                      models::bundle,
                      "the store searches it and every document has a vector of it"),
              Clock.systemUTC(),
              new Log(prefix, log, also));
      return new StoreLifecycle(store, journal, followed, controller);
    } catch (Exception | Error e) {
      if (followed != null) {
        followed.close();
      }
      if (journal != null) {
        journal.close();
      }
      store.close();
      throw e;
    }
  }

  /** The controller. */
  public LifecycleController controller() {
    return controller;
  }

  /** The store, as the lifecycle sees it. */
  public VectorStore store() {
    return store;
  }

  /** The journal. */
  public LifecycleJournal journal() {
    return journal;
  }

  private static ServingDecisions fixed(String version) {
    return new ServingDecisions() {
      @Override
      public Optional<String> serving() {
        return Optional.of(version);
      }

      @Override
      public void await(Duration timeout) throws InterruptedException {
        Thread.sleep(timeout.toMillis());
      }
    };
  }

  /**
   * Stops the controller (a backfill under way stops at its next progress report) and closes its
   * clients; works from an interrupted thread too (Ctrl-C stops {@code twinstream run} so).
   */
  @Override
  public void close() {
    boolean interrupted = Thread.interrupted();
    try {
      controller.close();
      if (followed != null) {
        followed.close();
      }
      journal.close();
      store.close();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Writes what the controller does, progress at most every 10 s. */
  private static final class Log implements LifecycleController.Listener {
    private final String prefix;
    private final PrintWriter out;
    private final LifecycleController.Listener also;
    private long lastProgress;
    private Duration switched = Duration.ZERO;

    Log(String prefix, PrintWriter out, LifecycleController.Listener also) {
      this.prefix = prefix;
      this.out = out;
      this.also = also;
    }

    @Override
    public void stepped(Step step, VersionRecord record, Duration took) {
      out.println(
          prefix + ": " + describe(step, record, step instanceof Step.CutOver ? switched : took));
      out.flush();
      also.stepped(step, record, took);
    }

    static String describe(Step step, VersionRecord r, Duration took) {
      String v = step.version();
      double seconds = took.toNanos() / 1e9;
      if (step instanceof Step.Backfill) {
        return String.format(
            Locale.ROOT,
            "backfilled %s: %d rows from %d records in %.1f s%s",
            v,
            r.rows(),
            r.documents(),
            seconds,
            r.note().isEmpty() ? "" : " (" + r.note() + ")");
      }
      if (step instanceof Step.CutOver c) {
        return String.format(
            Locale.ROOT,
            "cut over to %s in %.1f ms: searches use it%s",
            v,
            seconds * 1e3,
            c.previous().map(p -> " (was " + p + ")").orElse(""));
      }
      if (step instanceof Step.Announce) {
        return "announced FULLY_SERVED " + v + " (" + r.rows() + " rows)";
      }
      if (step instanceof Step.Retire) {
        return "retired "
            + v
            + " ("
            + r.note()
            + "): "
            + r.dropAt().map(t -> "its " + r.rows() + " rows go at " + t).orElse("kept");
      }
      if (step instanceof Step.Drop) {
        return "dropped " + v + ": " + r.note();
      }
      return "abandoned the backfill of " + v + ": " + r.note();
    }

    @Override
    public void progress(String version, long rows, long documents) {
      long now = System.nanoTime();
      if (now - lastProgress > 10_000_000_000L) {
        lastProgress = now;
        out.printf(
            Locale.ROOT,
            "%s: backfill of %s: %d rows (%d records to read)%n",
            prefix,
            version,
            rows,
            documents);
        out.flush();
      }
      also.progress(version, rows, documents);
    }

    @Override
    public void cutOver(String version, Duration took) {
      switched = took;
      also.cutOver(version, took);
    }

    @Override
    public void stopped(String version, String why) {
      out.println(prefix + ": backfill of " + version + " stopped: " + why);
      out.flush();
      also.stopped(version, why);
    }

    @Override
    public void takenOver(String why) {
      out.println(prefix + ": stopped: " + why);
      out.flush();
      also.takenOver(why);
    }

    @Override
    public void failed(Step step, Exception e, Duration retry) {
      out.println(
          prefix
              + ": "
              + (step == null
                  ? "the lifecycle"
                  : step.getClass().getSimpleName() + " " + step.version())
              + " failed, nothing lost; trying again in "
              + retry.toSeconds()
              + " s: "
              + e.getMessage());
      out.flush();
      also.failed(step, e, retry);
    }
  }
}
