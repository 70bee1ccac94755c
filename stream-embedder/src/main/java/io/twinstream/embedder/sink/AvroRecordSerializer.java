package io.twinstream.embedder.sink;

import io.twinstream.schemas.AvroCodec;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes Avro records to one topic with single-object encoding, keyed by a string taken from the
 * record (UTF-8), or unkeyed.
 *
 * @param <T> the record type
 */
public final class AvroRecordSerializer<T extends SpecificRecord>
    implements KafkaRecordSerializationSchema<T> {

  private static final long serialVersionUID = 1L;

  private final String topic;
  private final Class<T> type;
  private final SerializableKey<T> key;
  private transient AvroCodec<T> codec;

  /** Extracts the record key; serializable so that the sink can be shipped to task managers. */
  @FunctionalInterface
  public interface SerializableKey<T> extends Function<T, String>, Serializable {}

  public AvroRecordSerializer(String topic, Class<T> type, SerializableKey<T> key) {
    this.topic = topic;
    this.type = type;
    this.key = key;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      T element, KafkaSinkContext context, Long timestamp) {
    if (codec == null) {
      codec = AvroCodec.of(type);
    }
    byte[] keyBytes = key == null ? null : key.apply(element).getBytes(StandardCharsets.UTF_8);
    return new ProducerRecord<>(topic, null, timestamp, keyBytes, codec.encode(element));
  }
}
