package io.twinstream.joiner;

import io.twinstream.records.Interaction;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.RecordDecodeException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time for the joiner: an interaction's {@code ts}, so that windows follow when users acted,
 * not when the front end's producer sent the record. A record that cannot be decoded keeps its
 * Kafka timestamp (the decode stage dead-letters it).
 */
public final class InteractionTimestamps implements TimestampExtractor {

  private final AvroCodec<Interaction> codec = AvroCodec.of(Interaction.class);

  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    if (record.value() instanceof byte[] bytes) {
      try {
        return codec.decode(bytes).getTs().toEpochMilli();
      } catch (RecordDecodeException | RuntimeException e) {
        // fall through: the decode stage says why
      }
    }
    return record.timestamp() >= 0 ? record.timestamp() : partitionTime;
  }
}
