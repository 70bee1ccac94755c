package io.twinstream.cli;

import io.twinstream.cli.progress.Progress;
import io.twinstream.cli.progress.ProgressOption;
import io.twinstream.embedder.JobOptions;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.lifecycle.Backfiller;
import io.twinstream.lifecycle.Lifecycle;
import io.twinstream.lifecycle.LifecycleController;
import io.twinstream.lifecycle.VersionRecord;
import io.twinstream.lifecycle.flink.BackfillCluster;
import io.twinstream.lifecycle.flink.FlinkBackfiller;
import io.twinstream.lifecycle.flink.ModelSource;
import io.twinstream.lifecycle.flink.StoreLifecycle;
import io.twinstream.store.StoreSpec;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code twinstream backfill --version V}: every document gets a vector of V, then cut-over. */
@Command(
    name = "backfill",
    sortOptions = false,
    description = {
      "Gives every document a vector of a model version and makes the store serve it: the version",
      "lifecycle (the one twinstream run and twinstream controller run) with this version as its",
      "target. A bounded Flink job (local mini-cluster) reads the documents topic (the compacted",
      "sentences topic, key = id) from its start to the offsets that are latest when it starts,",
      "embeds each text with the version and upserts it into the store; then, unless --no-cut-over,",
      "the store switches its searches to the version atomically and FULLY_SERVED is announced on",
      "the model-updates topic (an embedding job with store.dual-write=true stops writing the",
      "previous version); with --grace the command waits and drops the previous version's rows.",
      "Each step is recorded on the lifecycle topic (store.lifecycle-topic), so a run after a",
      "failure completes what is missing (upserts are idempotent). Use it where no controller runs.",
      "Exit code: 0 done, 1 the backfill failed (nothing cut over), 64 usage."
    })
final class BackfillCommand implements Callable<Integer> {

  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Option(
      names = "--version",
      required = true,
      paramLabel = "VERSION",
      description = "The version to backfill: a version of --registry, or a built-in bundle name.")
  String version;

  @Option(
      names = "--registry",
      paramLabel = "ROOT",
      description = "Model registry holding the version (required unless it is built in).")
  String registry;

  @Mixin UpdatesTopic updates;

  @Mixin StoreArguments store;

  @Mixin KafkaClientOptions kafka;

  @Option(
      names = "--cut-over",
      negatable = true,
      defaultValue = "true",
      description =
          "Cut the store over to the version and announce FULLY_SERVED when done (default: on).")
  boolean cutOver;

  @Mixin LifecycleArguments job;

  @Mixin ProgressOption progress;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter out = spec.commandLine().getOut();
    StoreSpec target;
    Optional<Duration> dropAfter;
    Configuration conf;
    ModelRegistry reg;
    ModelSource models;
    String name;
    try {
      target = store.spec();
      dropAfter = job.grace();
      conf = job.configuration(target, kafka, updates);
      reg = registry == null ? null : Registries.open(registry);
      if (reg != null) {
        conf.set(JobOptions.MODEL_REGISTRY, registry);
      }
      boolean registered =
          reg != null && reg.list().stream().anyMatch(m -> m.version().equals(version));
      models = new ModelSource(reg, registered ? null : version);
      name = models.bundle(version).version();
    } catch (IllegalArgumentException e) {
      err.println("twinstream backfill: " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    } catch (Exception e) {
      err.println("twinstream backfill: version " + version + ": " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    }
    err.println(
        "twinstream backfill: embedding every document of "
            + job.topic
            + " with "
            + name
            + " into "
            + target);
    Progress bar = progress.create(err, "backfill " + name, -1, "rows");
    Backfiller.Progress shown =
        (rows, records) -> bar.update(rows, rows, "of " + records + " records");
    if (!cutOver) {
      try {
        Backfiller.Result r =
            new FlinkBackfiller(conf, target, models, BackfillCluster.of(conf))
                .backfill(name, shown);
        bar.finish();
        out.printf(
            Locale.ROOT,
            "backfilled %s: %d records in %.1f s; not cut over (--no-cut-over)%n",
            name,
            r.documents(),
            r.took().toNanos() / 1e9);
        return 0;
      } catch (Exception e) {
        bar.finish();
        err.println("twinstream backfill: failed (run it again to complete it): " + e.getMessage());
        return 1;
      }
    }
    try (StoreLifecycle lifecycle =
        StoreLifecycle.open(
            conf,
            reg,
            null,
            Optional.of(name),
            "twinstream backfill",
            err,
            new LifecycleController.Listener() {
              @Override
              public void progress(String version, long rows, long documents) {
                shown.update(rows, documents);
              }
            })) {
      try {
        lifecycle.controller().settle();
      } catch (Exception e) {
        bar.finish();
        err.println(
            "twinstream backfill: failed, nothing cut over (run it again to complete it): "
                + e.getMessage());
        return 1;
      }
      bar.finish();
      VersionRecord r = lifecycle.journal().read().get(name);
      out.printf(
          Locale.ROOT,
          "%s serves: %d rows%s%n",
          name,
          lifecycle.store().count(name),
          r != null && r.backfillFinished() != null
              ? " (backfilled " + r.backfillFinished() + ")"
              : "");
      awaitGraceDrops(lifecycle, err);
    }
    return 0;
  }

  /** Waits for the replaced versions' grace periods and drops them, as a controller would. */
  private static void awaitGraceDrops(StoreLifecycle lifecycle, PrintWriter err) throws Exception {
    Optional<Instant> wake;
    while ((wake = Lifecycle.wakeAt(lifecycle.controller().facts())).isPresent()) {
      err.println("twinstream backfill: waiting until " + wake.get() + " to drop (grace)");
      err.flush();
      Duration wait = Duration.between(Instant.now(), wake.get());
      if (!wait.isNegative()) {
        Thread.sleep(wait.toMillis() + 1);
      }
      lifecycle.controller().settle();
    }
  }
}
