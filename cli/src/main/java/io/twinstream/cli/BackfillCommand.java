package io.twinstream.cli;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobArguments;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.store.Backfill;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
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
      "Gives every document a vector of a model version: a bounded Flink job (local mini-cluster)",
      "reads the documents topic (the compacted sentences topic, key = id) from its start to the",
      "offsets that are latest when it starts, embeds each text with the version and upserts it into",
      "the store. Then, unless --no-cut-over, the store switches its searches to the version",
      "atomically and FULLY_SERVED is announced on the model-updates topic (an embedding job with",
      "store.dual-write=true stops writing the previous version); the previous version's rows are",
      "dropped after --grace. Start it once the embedding job serves the version (its modelVersion",
      "metric), so that every document written after its start is embedded by the version already.",
      "Run again after a failure, it completes what is missing (upserts are idempotent).",
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

  @Option(
      names = "--topic",
      defaultValue = "sentences",
      description =
          "The documents: the sentences topic, key = id, compacted (default: ${DEFAULT-VALUE}).")
  String topic;

  @Mixin StoreArguments store;

  @Mixin KafkaClientOptions kafka;

  @Option(
      names = "--cut-over",
      negatable = true,
      defaultValue = "true",
      description =
          "Cut the store over to the version and announce FULLY_SERVED when done (default: on).")
  boolean cutOver;

  @Option(
      names = "--grace",
      defaultValue = "keep",
      paramLabel = "DURATION|keep",
      description =
          "After the cut-over, wait this long (e.g. PT10M, 30s) and drop the previous version's rows,"
              + " unless it serves again by then; keep = never drop (a rollback can cut back to it;"
              + " twinstream store drop removes it later) (default: ${DEFAULT-VALUE}).")
  String grace;

  @Option(
      names = "--parallelism",
      defaultValue = "1",
      paramLabel = "N",
      description = "Embedding parallelism of the backfill job (default: ${DEFAULT-VALUE}).")
  int parallelism;

  @Option(
      names = "--properties",
      paramLabel = "FILE",
      description = "Job settings as a properties file (the embedding job's keys).")
  Path properties;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A job setting (repeatable).")
  Map<String, String> settings = new LinkedHashMap<>();

  @Mixin ProgressOption progress;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter out = spec.commandLine().getOut();
    StoreSpec target;
    Optional<Duration> dropAfter;
    Configuration conf;
    ModelRegistry reg;
    ModelBundle bundle;
    String model;
    try {
      target = store.spec();
      dropAfter = grace(grace);
      conf = configuration();
      reg = registry == null ? null : Registries.open(registry);
      if (reg != null && reg.list().stream().anyMatch(m -> m.version().equals(version))) {
        bundle = reg.load(version);
        model = reg.uri(version).toString();
        conf.set(JobOptions.MODEL_REGISTRY, registry);
      } else {
        bundle = ModelBundle.resolve(version);
        model = version;
      }
    } catch (IllegalArgumentException e) {
      err.println("twinstream backfill: " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    } catch (Exception e) {
      err.println("twinstream backfill: version " + version + ": " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    }
    String name = bundle.version();
    err.println(
        "twinstream backfill: embedding every document of "
            + topic
            + " with "
            + name
            + " into "
            + target);
    Progress bar = progress.create(err, "backfill " + name, -1, "rows");
    Backfill.Result result;
    try {
      result =
          Backfill.run(
              conf,
              model,
              name,
              target,
              (rows, records) -> bar.update(rows, rows, "of " + records + " records"));
    } catch (Exception e) {
      bar.finish();
      err.println(
          "twinstream backfill: failed, nothing cut over (run it again to complete it): "
              + e.getMessage());
      return 1;
    }
    bar.complete(result.rows(), result.rows(), "of " + result.records() + " records");
    bar.finish();
    out.printf(
        Locale.ROOT,
        "backfilled %s: %d rows from %d records in %.1f s (%.1f records/s; compaction %.1f s)%n",
        name,
        result.rows(),
        result.records(),
        result.took().toNanos() / 1e9,
        result.recordsPerSecond(),
        result.compaction().toNanos() / 1e9);
    if (!cutOver) {
      return 0;
    }
    Optional<String> previous;
    try (VectorStore s = target.open()) {
      previous = s.servingVersion();
      s.cutOver(name);
    }
    out.println(
        "cut over: searches use " + name + previous.map(p -> " (was " + p + ")").orElse(""));
    if (reg == null) {
      err.println(
          "twinstream backfill: no --registry, so FULLY_SERVED is not announced (an embedding job"
              + " without a registry takes no model updates and has nothing to dual-write)");
    } else {
      announce(reg, bundle, result, out);
    }
    if (previous.isPresent() && !previous.get().equals(name) && dropAfter.isPresent()) {
      dropLater(target, previous.get(), dropAfter.get(), err, out);
    }
    return 0;
  }

  private void announce(
      ModelRegistry announcer, ModelBundle bundle, Backfill.Result result, PrintWriter out)
      throws java.io.IOException {
    FullyServed.announce(
        announcer,
        updates.registryName,
        kafka.clientConfig(),
        updates.topic,
        bundle,
        result,
        "backfill complete");
    out.println("announced FULLY_SERVED " + bundle.version() + " on " + updates.topic);
  }

  private void dropLater(
      StoreSpec target, String old, Duration after, PrintWriter err, PrintWriter out)
      throws InterruptedException {
    err.println("twinstream backfill: dropping " + old + " after " + after + " (grace)");
    Thread.sleep(after.toMillis());
    out.println(FullyServed.dropUnlessServing(target, old));
  }

  private Configuration configuration() throws java.io.IOException {
    Configuration conf = new Configuration();
    if (properties != null) {
      JobArguments.loadProperties(conf, properties);
    }
    settings.forEach(conf::setString);
    conf.set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    kafka
        .clientConfig()
        .forEach(
            (k, v) -> {
              if (!k.equals("bootstrap.servers")) {
                conf.setString(JobOptions.KAFKA_PREFIX + k, String.valueOf(v));
              }
            });
    conf.set(EmbedderOptions.SENTENCES_TOPIC, topic);
    conf.set(JobOptions.PARALLELISM, parallelism);
    if (conf.get(JobOptions.CHECKPOINT_DIR).isBlank()) {
      conf.set(JobOptions.CHECKPOINT_ALLOW_IN_MEMORY, true);
    }
    return conf;
  }

  static Optional<Duration> grace(String value) {
    if (value.equalsIgnoreCase("keep")) {
      return Optional.empty();
    }
    try {
      Duration d =
          Character.isDigit(value.charAt(0)) && !value.startsWith("P")
              ? org.apache.flink.util.TimeUtils.parseDuration(value)
              : Duration.parse(value);
      if (d.isNegative()) {
        throw new IllegalArgumentException("negative");
      }
      return Optional.of(d);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "--grace must be a duration (PT10M, 30s) or keep, got '" + value + "'");
    }
  }
}
