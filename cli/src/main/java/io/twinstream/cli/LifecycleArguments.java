package io.twinstream.cli;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobArguments;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.store.StoreOptions;
import io.twinstream.lifecycle.flink.BackfillCluster;
import io.twinstream.store.StoreSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Option;

/**
 * The options of the commands that run the version lifecycle outside a job ({@code backfill},
 * {@code controller}): the documents topic, the grace period, the lifecycle topic and the backfill
 * job's settings, turned into the job's configuration.
 */
final class LifecycleArguments {

  @Option(
      names = "--topic",
      defaultValue = "sentences",
      description =
          "The documents: the sentences topic, key = id, compacted (default: ${DEFAULT-VALUE}).")
  String topic;

  @Option(
      names = "--grace",
      defaultValue = "keep",
      paramLabel = "DURATION|keep",
      description =
          "After a cut-over, keep the replaced version's rows this long (e.g. PT10M, 30s), then"
              + " drop them unless it serves again by then; keep = never drop (a rollback can cut"
              + " back to it; twinstream store drop removes it later) (default: ${DEFAULT-VALUE}).")
  String grace;

  @Option(
      names = "--lifecycle-topic",
      defaultValue = "model-lifecycle",
      paramLabel = "TOPIC",
      description =
          "The compacted topic where each lifecycle step is recorded, so that a restart resumes"
              + " (default: ${DEFAULT-VALUE}).")
  String lifecycleTopic;

  @Option(
      names = "--parallelism",
      defaultValue = "1",
      paramLabel = "N",
      description = "Embedding parallelism of the backfill job (default: ${DEFAULT-VALUE}).")
  int parallelism;

  @Option(
      names = "--backfill-cluster",
      defaultValue = "local",
      paramLabel = "local|URL",
      description =
          "Where backfills run: local = a Flink mini-cluster in this process; http://HOST:PORT ="
              + " the REST endpoint of a Flink session cluster with this Twinstream's job jar in"
              + " lib/ (the twinstream-flink-backfill image), which runs them in its slots at"
              + " --parallelism (default: ${DEFAULT-VALUE}).")
  String backfillCluster;

  @Option(
      names = "--properties",
      paramLabel = "FILE",
      description = "Job settings as a properties file (the embedding job's keys).")
  Path properties;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A job setting (repeatable).")
  Map<String, String> settings = new LinkedHashMap<>();

  /**
   * @throws IllegalArgumentException naming --grace when it is neither a duration nor keep
   */
  Optional<Duration> grace() {
    return parseGrace(grace);
  }

  /**
   * The settings of the backfill jobs and the lifecycle: Kafka, topics, the store, the grace.
   *
   * @throws IllegalArgumentException naming the option that is wrong
   */
  Configuration configuration(StoreSpec store, KafkaClientOptions kafka, UpdatesTopic updates)
      throws IOException {
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
    conf.set(StoreOptions.KIND, store.kind().id());
    conf.set(StoreOptions.LOCATION, store.location());
    conf.set(StoreOptions.TABLE, store.table());
    conf.set(StoreOptions.DIMENSIONS, store.dimensions());
    conf.set(StoreOptions.USER, store.user());
    conf.set(StoreOptions.PASSWORD, store.password());
    conf.set(StoreOptions.LIFECYCLE_TOPIC, lifecycleTopic);
    if (!conf.contains(StoreOptions.BACKFILL_CLUSTER) || !backfillCluster.equals("local")) {
      conf.set(StoreOptions.BACKFILL_CLUSTER, backfillCluster);
    }
    grace().ifPresent(d -> conf.set(StoreOptions.GRACE, d));
    conf.set(JobOptions.MODEL_UPDATES_TOPIC, updates.topic);
    conf.set(JobOptions.REGISTRY_NAME, updates.registryName);
    if (conf.get(JobOptions.CHECKPOINT_DIR).isBlank()) {
      conf.set(JobOptions.CHECKPOINT_ALLOW_IN_MEMORY, true);
    }
    BackfillCluster.of(conf); // names the option that is wrong now, not at the first backfill
    return conf;
  }

  static Optional<Duration> parseGrace(String value) {
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
