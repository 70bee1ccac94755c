package io.twinstream.embedder;

import io.twinstream.embedder.JobOptions.Guarantee;
import io.twinstream.embedder.sink.AvroRecordSerializer;
import io.twinstream.embedder.sink.TombstoneSerializer;
import io.twinstream.embedder.sink.WriteLimit;
import io.twinstream.records.Embedding;
import io.twinstream.store.Deletion;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;

/**
 * The Kafka sinks of Twinstream's jobs: Avro records, exactly once by default (Kafka transactions
 * committed on checkpoints, one transactional id prefix per sink). A record that cannot be written
 * goes to the dead-letter topic in its place ({@link WriteLimit}); the sink never stops on one.
 */
public final class KafkaSinks {

  private KafkaSinks() {}

  /**
   * A sink of {@code type} records to {@code topic}, keyed by {@code key} (null: unkeyed); {@code
   * name} tells its transactional ids apart from the job's other sinks.
   */
  public static <T extends SpecificRecord> KafkaSink<T> avro(
      Configuration conf,
      String topic,
      Class<T> type,
      AvroRecordSerializer.SerializableKey<T> key,
      String name) {
    return sink(
        conf,
        new AvroRecordSerializer<>(
            topic,
            type,
            key,
            new WriteLimit(
                conf.get(JobOptions.RECORD_BYTES),
                conf.get(JobOptions.DEAD_LETTERS_TOPIC),
                "write-" + name)),
        name);
  }

  /**
   * The sink of deletions to {@code embeddings.topic} as tombstones keyed by document id ({@link
   * TombstoneSerializer}), so that every store fed from that topic deletes the document; {@code
   * name} as for {@link #avro}.
   */
  public static KafkaSink<Deletion> tombstones(Configuration conf, String name) {
    return sink(conf, new TombstoneSerializer(conf.get(EmbedderOptions.EMBEDDINGS_TOPIC)), name);
  }

  private static <T> KafkaSink<T> sink(
      Configuration conf, KafkaRecordSerializationSchema<T> serializer, String name) {
    Properties producer = new Properties();
    producer.putAll(JobOptions.kafkaProperties(conf));
    producer.setProperty(
        "transaction.timeout.ms",
        Long.toString(conf.get(JobOptions.TRANSACTION_TIMEOUT).toMillis()));
    producer.putIfAbsent("linger.ms", "5");
    return KafkaSink.<T>builder()
        .setBootstrapServers(conf.get(JobOptions.BOOTSTRAP_SERVERS))
        .setKafkaProducerConfig(producer)
        .setRecordSerializer(serializer)
        .setDeliveryGuarantee(
            conf.get(JobOptions.DELIVERY_GUARANTEE) == Guarantee.EXACTLY_ONCE
                ? DeliveryGuarantee.EXACTLY_ONCE
                : DeliveryGuarantee.AT_LEAST_ONCE)
        .setTransactionalIdPrefix(conf.get(JobOptions.TRANSACTIONAL_ID_PREFIX) + "-" + name)
        .build();
  }

  /**
   * The sink of embeddings to {@code embeddings.topic}, keyed by sentence id (so that one
   * document's vectors stay in one partition, in order); {@code name} as for {@link #avro}.
   */
  public static KafkaSink<Embedding> embeddings(Configuration conf, String name) {
    return avro(
        conf, conf.get(EmbedderOptions.EMBEDDINGS_TOPIC), Embedding.class, Embedding::getId, name);
  }
}
