package io.twinstream.embedder.sink;

import io.twinstream.records.DeadLetter;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.decode.DeadLetters;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes Avro records to one topic with single-object encoding, keyed by a string taken from the
 * record (UTF-8), or unkeyed. A record that cannot be written ({@link WriteLimit}) becomes a dead
 * letter instead, written by the same producer (in the same transaction); a dead letter that is too
 * large is cut down to fit. No record stops the sink.
 *
 * @param <T> the record type
 */
public final class AvroRecordSerializer<T extends SpecificRecord>
    implements KafkaRecordSerializationSchema<T> {

  private static final long serialVersionUID = 1L;

  private final String topic;
  private final Class<T> type;
  private final SerializableKey<T> key;
  private final WriteLimit limit;
  private transient AvroCodec<T> codec;
  private transient AvroCodec<DeadLetter> deadLetters;

  /** Extracts the record key; serializable so that the sink can be shipped to task managers. */
  @FunctionalInterface
  public interface SerializableKey<T> extends Function<T, String>, Serializable {}

  public AvroRecordSerializer(
      String topic, Class<T> type, SerializableKey<T> key, WriteLimit limit) {
    this.topic = topic;
    this.type = type;
    this.key = key;
    this.limit = limit;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      T element, KafkaSinkContext context, Long timestamp) {
    if (codec == null) {
      codec = AvroCodec.of(type);
      deadLetters = AvroCodec.of(DeadLetter.class);
    }
    if (element instanceof DeadLetter letter) {
      // Dead letters are never dropped: cut down to fit.
      return new ProducerRecord<>(
          topic,
          null,
          timestamp,
          null,
          deadLetters.encode(DeadLetters.fitting(letter, limit.maxBytes())));
    }
    byte[] keyBytes = key == null ? null : key.apply(element).getBytes(StandardCharsets.UTF_8);
    byte[] value;
    try {
      value = codec.encode(element);
    } catch (IllegalArgumentException e) {
      return deadLetter(
          keyBytes,
          null,
          "cannot encode the " + type.getSimpleName() + ": " + e.getMessage(),
          timestamp);
    }
    int size = (keyBytes == null ? 0 : keyBytes.length) + value.length;
    if (size > limit.maxBytes()) {
      return deadLetter(
          keyBytes,
          value,
          type.getSimpleName()
              + " of "
              + size
              + " bytes (key "
              + (keyBytes == null ? 0 : keyBytes.length)
              + ") exceeds the "
              + limit.maxBytes()
              + "-byte limit of "
              + topic
              + " (limits.record-bytes)",
          timestamp);
    }
    return new ProducerRecord<>(topic, null, timestamp, keyBytes, value);
  }

  private ProducerRecord<byte[], byte[]> deadLetter(
      byte[] keyBytes, byte[] value, String reason, Long timestamp) {
    DeadLetter letter =
        DeadLetters.unwritable(topic, keyBytes, value, reason, limit.stage(), Instant.now());
    return new ProducerRecord<>(
        limit.deadLetterTopic(),
        null,
        timestamp,
        null,
        deadLetters.encode(DeadLetters.fitting(letter, limit.maxBytes())));
  }

  @Override
  public String toString() {
    return "AvroRecordSerializer[" + topic + ", " + type.getSimpleName() + ", " + limit + "]";
  }
}
