package io.twinstream.embedder;

import io.twinstream.embedder.operator.EmbedOperator;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * Settings of the embedding pipeline, with defaults and descriptions: its topics and how sentences
 * are batched and encoded. The settings shared with other jobs (Kafka, checkpoints, the model) are
 * in {@link JobOptions}; both are set the same ways.
 */
public final class EmbedderOptions {

  private EmbedderOptions() {}

  public static final ConfigOption<String> SENTENCES_TOPIC =
      ConfigOptions.key("topic.sentences")
          .stringType()
          .defaultValue("sentences")
          .withDescription("Topic of Avro Sentence records to embed (key = id).");

  public static final ConfigOption<String> EMBEDDINGS_TOPIC =
      ConfigOptions.key("topic.embeddings")
          .stringType()
          .defaultValue("embeddings")
          .withDescription(
              "Topic the Avro Embedding records are written to, keyed by sentence id.");

  public static final ConfigOption<Integer> BATCH_SIZE =
      ConfigOptions.key("batch.size")
          .intType()
          .defaultValue(256)
          .withDescription(
              "Maximum sentences per micro-batch. The encoder sorts a micro-batch by length and runs "
                  + "it as encoder batches of encoder.batch-size on its threads, so a large micro-batch costs little "
                  + "padding under load. Batches form while the previous one is on the encoder: under "
                  + "light load they stay small, under heavy load they grow to this size or to "
                  + "batch.max-tokens, whichever comes first.");

  public static final ConfigOption<Integer> BATCH_MAX_TOKENS =
      ConfigOptions.key("batch.max-tokens")
          .intType()
          .defaultValue(EmbedOperator.DEFAULT_MAX_TOKENS)
          .withDescription(
              "Maximum estimated tokens per micro-batch (about four characters a token, at most the "
                  + "model's sequence length per sentence): batches of long documents are cut "
                  + "sooner than batches of short sentences, so a batch's time on the encoder, "
                  + "and the wait of the sentences behind it, stay bounded. The default is 32 "
                  + "documents of 256 tokens.");

  public static final ConfigOption<Integer> ENCODER_BATCH_SIZE =
      ConfigOptions.key("encoder.batch-size")
          .intType()
          .defaultValue(32)
          .withDescription("Sentences per ONNX Runtime call inside a micro-batch.");

  public static final ConfigOption<Duration> BATCH_MAX_WAIT =
      ConfigOptions.key("batch.max-wait")
          .durationType()
          .defaultValue(Duration.ZERO)
          .withDescription(
              "Longest time the first sentence of a micro-batch waits for more sentences while the "
                  + "encoder is free. 0 hands a batch to a free encoder at once: under light load "
                  + "sentences are embedded as they come, under heavy load the batch forms while the "
                  + "previous one is embedded. A wait trades latency for fewer, larger batches.");

  public static final ConfigOption<Boolean> DUAL_WRITE =
      ConfigOptions.key("store.dual-write")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "While a promoted version is backfilled into a vector store, also embed every"
                  + " sentence with the version the store still searches (the last FULLY_SERVED"
                  + " one), so that new and changed documents reach both; a FULLY_SERVED update"
                  + " stops it. Costs a second encoder pass during backfills; turn it on when a"
                  + " store sink job consumes the embeddings.");

  public static final ConfigOption<Integer> ENCODER_THREADS =
      ConfigOptions.key("encoder.threads")
          .intType()
          .defaultValue(0)
          .withDescription(
              "Compute threads of each embedding instance; 0 = available processors divided by "
                  + "the parallelism (at least 1).");

  /** All options, for documentation and validation. */
  public static List<ConfigOption<?>> all() {
    return List.of(
        SENTENCES_TOPIC,
        EMBEDDINGS_TOPIC,
        BATCH_SIZE,
        BATCH_MAX_TOKENS,
        ENCODER_BATCH_SIZE,
        BATCH_MAX_WAIT,
        ENCODER_THREADS,
        DUAL_WRITE);
  }

  /**
   * Checks values that Flink's parser accepts but the embedding pipeline cannot use (and the shared
   * ones, {@link JobOptions#validate}).
   *
   * @throws IllegalArgumentException naming the option and the value
   */
  public static void validate(Configuration conf) {
    positive(conf, BATCH_SIZE);
    positive(conf, BATCH_MAX_TOKENS);
    positive(conf, ENCODER_BATCH_SIZE);
    JobOptions.validate(conf);
    if (conf.get(ENCODER_THREADS) < 0) {
      throw new IllegalArgumentException(
          "Option " + ENCODER_THREADS.key() + " must be >= 0, got " + conf.get(ENCODER_THREADS));
    }
    if (conf.get(BATCH_MAX_WAIT).isNegative()) {
      throw new IllegalArgumentException(
          "Option " + BATCH_MAX_WAIT.key() + " must not be negative");
    }
    for (ConfigOption<String> topic : List.of(SENTENCES_TOPIC, EMBEDDINGS_TOPIC)) {
      if (conf.get(topic).isBlank()) {
        throw new IllegalArgumentException("Option " + topic.key() + " must name a topic");
      }
    }
  }

  private static void positive(Configuration conf, ConfigOption<Integer> option) {
    if (conf.get(option) < 1) {
      throw new IllegalArgumentException(
          "Option " + option.key() + " must be at least 1, got " + conf.get(option));
    }
  }
}
