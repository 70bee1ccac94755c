package io.twinstream.embedder;

import io.twinstream.schemas.decode.InputLimits;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * The settings every Twinstream job shares (the embedding job, the trainer job, both in one), with
 * defaults and descriptions: where Kafka is and how it is read and written, checkpoints and
 * restarts, the model and its registry. Set them with {@code twinstream run} flags, a properties
 * file ({@code --properties FILE}), {@code --set key=value}, or the arguments of a job jar on a
 * Flink cluster.
 *
 * <p>Keys starting with {@value #KAFKA_PREFIX} are handed to every Kafka client of the job with the
 * prefix removed, e.g. {@code kafka.security.protocol=SASL_SSL} or {@code
 * kafka.sasl.jaas.config=...}.
 */
public final class JobOptions {

  /** Prefix of Kafka client properties passed through to sources and sinks. */
  public static final String KAFKA_PREFIX = "kafka.";

  private JobOptions() {}

  public static final ConfigOption<String> BOOTSTRAP_SERVERS =
      ConfigOptions.key("bootstrap.servers")
          .stringType()
          .defaultValue("localhost:9092")
          .withDescription("Kafka bootstrap servers (host:port, comma-separated).");

  public static final ConfigOption<String> DEAD_LETTERS_TOPIC =
      ConfigOptions.key("topic.dead-letters")
          .stringType()
          .defaultValue("dead-letters")
          .withDescription(
              "Topic of Avro DeadLetter records: input that could not be decoded or was empty, "
                  + "with its raw bytes and the reason.");

  public static final ConfigOption<String> MODEL_UPDATES_TOPIC =
      ConfigOptions.key("topic.model-updates")
          .stringType()
          .defaultValue("model-updates")
          .withDescription(
              "Compacted topic of Avro ModelUpdate records (key = registry name) that switch the "
                  + "serving model; read only when model.registry is set.");

  public static final ConfigOption<String> MODEL_REGISTRY =
      ConfigOptions.key("model.registry")
          .stringType()
          .defaultValue("")
          .withDescription(
              "Root of the model registry: a local or shared directory, or a URI of any file "
                  + "system Flink reaches (s3://bucket/models with Flink's S3 plugin, hdfs://...). Model updates may only "
                  + "point inside it; empty = no hot swap, the job serves 'model' for its whole life.");

  public static final ConfigOption<String> REGISTRY_NAME =
      ConfigOptions.key("model.registry.name")
          .stringType()
          .defaultValue("default")
          .withDescription(
              "The registry's name: the key of its records on the model-updates topic.");

  public static final ConfigOption<String> GROUP_ID =
      ConfigOptions.key("group.id")
          .stringType()
          .defaultValue("twinstream-embedder")
          .withDescription(
              "Consumer group id; offsets are committed to Kafka on checkpoints (for monitoring "
                  + "only: recovery uses Flink's checkpointed offsets).");

  /** Where the source starts when there is no checkpoint. */
  public enum StartPosition {
    /** The oldest retained record. */
    EARLIEST,
    /** Only records produced after the job starts. */
    LATEST,
    /** The group's committed offsets, earliest where it has none. */
    COMMITTED
  }

  public static final ConfigOption<StartPosition> START_POSITION =
      ConfigOptions.key("start.position")
          .enumType(StartPosition.class)
          .defaultValue(StartPosition.COMMITTED)
          .withDescription(
              "Where to start reading without a checkpoint: EARLIEST, LATEST, or COMMITTED (the "
                  + "group's offsets, else earliest).");

  public static final ConfigOption<Boolean> BOUNDED =
      ConfigOptions.key("source.bounded")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Stop at the offsets that are latest when the job starts (backfills, tests); the job "
                  + "then finishes after a final checkpoint.");

  public static final ConfigOption<Integer> PARALLELISM =
      ConfigOptions.key("parallelism")
          .intType()
          .defaultValue(1)
          .withDescription(
              "Parallel instances of the pipeline (source, decode, embed, sinks). More than the "
                  + "number of partitions of the sentences topic leaves instances idle.");

  public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
      ConfigOptions.key("checkpoint.interval")
          .durationType()
          .defaultValue(Duration.ofSeconds(2))
          .withDescription(
              "Checkpoint interval. Under EXACTLY_ONCE, embeddings become visible to read_committed "
                  + "consumers when the checkpoint that covers them completes.");

  public static final ConfigOption<Duration> BUFFER_TIMEOUT =
      ConfigOptions.key("buffer.timeout")
          .durationType()
          .defaultValue(Duration.ofMillis(5))
          .withDescription(
              "Longest time a record waits in a network buffer between two operators that are not "
                  + "chained (Flink's buffer timeout, whose own default is 100 ms); 0 = flush after every record.");

  /** How the embeddings topic is written. */
  public enum Guarantee {
    /**
     * Kafka transactions committed on checkpoints: no duplicate ever reaches a read_committed
     * consumer.
     */
    EXACTLY_ONCE,
    /**
     * Flushed on checkpoints; after a failure, records since the last checkpoint may appear twice.
     */
    AT_LEAST_ONCE
  }

  public static final ConfigOption<Guarantee> DELIVERY_GUARANTEE =
      ConfigOptions.key("delivery.guarantee")
          .enumType(Guarantee.class)
          .defaultValue(Guarantee.EXACTLY_ONCE)
          .withDescription("EXACTLY_ONCE (Kafka transactions) or AT_LEAST_ONCE.");

  public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX =
      ConfigOptions.key("transactional-id.prefix")
          .stringType()
          .defaultValue("twinstream-embedder")
          .withDescription(
              "Prefix of the Kafka transactional ids under EXACTLY_ONCE; unique per job on a cluster.");

  public static final ConfigOption<Duration> TRANSACTION_TIMEOUT =
      ConfigOptions.key("transaction.timeout")
          .durationType()
          .defaultValue(Duration.ofMinutes(1))
          .withDescription(
              "Kafka transaction timeout; must be below the broker's transaction.max.timeout.ms "
                  + "(15 min by default) and above the checkpoint interval plus the longest checkpoint.");

  public static final ConfigOption<String> MODEL =
      ConfigOptions.key("model")
          .stringType()
          .defaultValue("default")
          .withDescription(
              "Initial model bundle: a directory, the built-in 'default' or 'default-int8' (carried by "
                  + "the CLI; the job jars carry no model files), or 'registry' for the registry's CURRENT version. Every "
                  + "task manager must see the directory. A job restored from a checkpoint serves the model it served "
                  + "then.");

  public static final ConfigOption<Integer> RESTART_ATTEMPTS =
      ConfigOptions.key("restart.attempts")
          .intType()
          .defaultValue(10)
          .withDescription(
              "Restarts after a failure before the job fails (fixed delay); 0 = fail at once.");

  public static final ConfigOption<Duration> RESTART_DELAY =
      ConfigOptions.key("restart.delay")
          .durationType()
          .defaultValue(Duration.ofSeconds(1))
          .withDescription("Delay between restarts.");

  public static final ConfigOption<String> CHECKPOINT_DIR =
      ConfigOptions.key("checkpoint.dir")
          .stringType()
          .defaultValue("")
          .withDescription(
              "Where checkpoints are kept: a directory or a file-system URI (file:///..., "
                  + "s3://bucket/path, hdfs://...); they are retained when the job is cancelled, so a "
                  + "job started again from the latest one continues exactly where it stopped. Empty = "
                  + "Flink's own execution.checkpointing.dir, if the cluster sets it.");

  public static final ConfigOption<Boolean> CHECKPOINT_ALLOW_IN_MEMORY =
      ConfigOptions.key("checkpoint.allow-in-memory")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Run exactly once although checkpoints are kept only in the JobManager's memory (no "
                  + "checkpoint.dir): they die with the process, and a job started again without them "
                  + "writes again what it wrote since its group offsets were committed.");

  public static final ConfigOption<Integer> CHECKPOINT_TOLERABLE_FAILURES =
      ConfigOptions.key("checkpoint.tolerable-failures")
          .intType()
          .defaultValue(3)
          .withDescription(
              "Checkpoints in a row that may fail (a slow or briefly unavailable checkpoint store) "
                  + "before the job restarts; output then waits for the next successful one, which "
                  + "must come within transaction.timeout.");

  public static final ConfigOption<Integer> LIMIT_ID_BYTES =
      ConfigOptions.key("limits.id-bytes")
          .intType()
          .defaultValue(InputLimits.DEFAULTS.idBytes())
          .withDescription(
              "Most UTF-8 bytes of a sentence id; a longer one is dead-lettered when decoded.");

  public static final ConfigOption<Integer> LIMIT_TEXT_BYTES =
      ConfigOptions.key("limits.text-bytes")
          .intType()
          .defaultValue(InputLimits.DEFAULTS.textBytes())
          .withDescription(
              "Most UTF-8 bytes of a text (a sentence's, a feedback pair's anchor or candidate); a "
                  + "longer one is dead-lettered when decoded. Texts within it are tokenized up to 100 "
                  + "characters per token of the model's maximum length, so a long text costs no more "
                  + "than that.");

  public static final ConfigOption<Integer> LIMIT_ATTRIBUTES_BYTES =
      ConfigOptions.key("limits.attributes-bytes")
          .intType()
          .defaultValue(InputLimits.DEFAULTS.attributesBytes())
          .withDescription(
              "Most UTF-8 bytes of a sentence's attributes (keys and values); more is dead-lettered "
                  + "when decoded.");

  public static final ConfigOption<Integer> RECORD_BYTES =
      ConfigOptions.key("limits.record-bytes")
          .intType()
          .defaultValue(1_000_000)
          .withDescription(
              "Most bytes of a record written to any topic (key and value): a record over it goes to "
                  + "the dead-letter topic instead (a dead letter over it is cut down). Keep it below "
                  + "the producer's max.request.size and the topics' max.message.bytes (about 1 MiB by "
                  + "default); raise them together.");

  /** The input limits the options set. */
  public static InputLimits inputLimits(Configuration conf) {
    return new InputLimits(
        conf.get(LIMIT_ID_BYTES), conf.get(LIMIT_TEXT_BYTES), conf.get(LIMIT_ATTRIBUTES_BYTES));
  }

  /** All options, for documentation and validation. */
  public static List<ConfigOption<?>> all() {
    return List.of(
        BOOTSTRAP_SERVERS,
        DEAD_LETTERS_TOPIC,
        MODEL_UPDATES_TOPIC,
        MODEL_REGISTRY,
        REGISTRY_NAME,
        GROUP_ID,
        START_POSITION,
        BOUNDED,
        PARALLELISM,
        CHECKPOINT_INTERVAL,
        BUFFER_TIMEOUT,
        DELIVERY_GUARANTEE,
        TRANSACTIONAL_ID_PREFIX,
        TRANSACTION_TIMEOUT,
        MODEL,
        RESTART_ATTEMPTS,
        RESTART_DELAY,
        CHECKPOINT_DIR,
        CHECKPOINT_ALLOW_IN_MEMORY,
        CHECKPOINT_TOLERABLE_FAILURES,
        LIMIT_ID_BYTES,
        LIMIT_TEXT_BYTES,
        LIMIT_ATTRIBUTES_BYTES,
        RECORD_BYTES);
  }

  /** Kafka client properties given under {@value #KAFKA_PREFIX}, prefix removed. */
  public static Properties kafkaProperties(Configuration conf) {
    Properties props = new Properties();
    conf.toMap()
        .forEach(
            (k, v) -> {
              if (k.startsWith(KAFKA_PREFIX)) {
                props.setProperty(k.substring(KAFKA_PREFIX.length()), v);
              }
            });
    return props;
  }

  /**
   * Checks values that Flink's parser accepts but a job cannot use.
   *
   * @throws IllegalArgumentException naming the option and the value
   */
  public static void validate(Configuration conf) {
    if (conf.get(PARALLELISM) < 1) {
      throw new IllegalArgumentException(
          "Option " + PARALLELISM.key() + " must be at least 1, got " + conf.get(PARALLELISM));
    }
    if (conf.get(RESTART_ATTEMPTS) < 0) {
      throw new IllegalArgumentException("Option " + RESTART_ATTEMPTS.key() + " must be >= 0");
    }
    if (conf.get(BUFFER_TIMEOUT).isNegative()) {
      throw new IllegalArgumentException(
          "Option " + BUFFER_TIMEOUT.key() + " must not be negative");
    }
    if (conf.get(CHECKPOINT_INTERVAL).toMillis() < 10) {
      throw new IllegalArgumentException(
          "Option "
              + CHECKPOINT_INTERVAL.key()
              + " must be at least 10 ms, got "
              + conf.get(CHECKPOINT_INTERVAL));
    }
    if (conf.get(BOOTSTRAP_SERVERS).isBlank()) {
      throw new IllegalArgumentException(
          "Option " + BOOTSTRAP_SERVERS.key() + " is required but empty");
    }
    if (conf.get(CHECKPOINT_TOLERABLE_FAILURES) < 0) {
      throw new IllegalArgumentException(
          "Option " + CHECKPOINT_TOLERABLE_FAILURES.key() + " must be >= 0");
    }
    Duration unhappy =
        conf.get(CHECKPOINT_INTERVAL).multipliedBy(conf.get(CHECKPOINT_TOLERABLE_FAILURES) + 2L);
    if (conf.get(DELIVERY_GUARANTEE) == Guarantee.EXACTLY_ONCE
        && conf.get(TRANSACTION_TIMEOUT).compareTo(unhappy) <= 0) {
      throw new IllegalArgumentException(
          "Option "
              + TRANSACTION_TIMEOUT.key()
              + " ("
              + conf.get(TRANSACTION_TIMEOUT)
              + ") must exceed "
              + CHECKPOINT_INTERVAL.key()
              + " x ("
              + CHECKPOINT_TOLERABLE_FAILURES.key()
              + " + 2) = "
              + unhappy
              + ": a transaction stays open until a checkpoint succeeds");
    }
    if (conf.get(RECORD_BYTES) < 4_096) {
      throw new IllegalArgumentException(
          "Option " + RECORD_BYTES.key() + " must be at least 4096, got " + conf.get(RECORD_BYTES));
    }
    try {
      inputLimits(conf);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Options limits.*: " + e.getMessage(), e);
    }
    if (conf.get(DEAD_LETTERS_TOPIC).isBlank()) {
      throw new IllegalArgumentException(
          "Option " + DEAD_LETTERS_TOPIC.key() + " must name a topic");
    }
  }
}
