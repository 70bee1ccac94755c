package io.twinstream.embedder.sink;

import io.twinstream.store.Deletion;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a deletion as a Kafka tombstone: key = the document id (UTF-8, as the topic's other
 * records are keyed), no value, and the deletion's sequence as the record's timestamp, so that a
 * reader orders it against the event times of the document's vectors ({@link
 * io.twinstream.embedder.decode.Tombstones} reads it back as the same deletion).
 */
public final class TombstoneSerializer implements KafkaRecordSerializationSchema<Deletion> {

  private static final long serialVersionUID = 1L;

  private final String topic;

  public TombstoneSerializer(String topic) {
    this.topic = topic;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      Deletion deletion, KafkaSinkContext context, Long requested) {
    Integer anyPartition = null;
    Long deletedAt = deletion.sequence();
    byte[] noValue = null;
    return new ProducerRecord<>(
        topic, anyPartition, deletedAt, deletion.id().getBytes(StandardCharsets.UTF_8), noValue);
  }

  @Override
  public String toString() {
    return "TombstoneSerializer[" + topic + "]";
  }
}
