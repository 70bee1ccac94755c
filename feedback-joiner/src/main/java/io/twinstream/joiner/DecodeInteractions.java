package io.twinstream.joiner;

import io.twinstream.joiner.SearchLog.Origin;
import io.twinstream.records.DeadLetter;
import io.twinstream.records.Interaction;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.decode.DeadLetters;
import io.twinstream.schemas.decode.Decoded;
import io.twinstream.schemas.decode.InputLimits;
import io.twinstream.schemas.decode.RawRecord;
import io.twinstream.schemas.decode.RecordDecoder;
import io.twinstream.schemas.decode.RecordDecoders;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * First stage: decodes and checks each interaction; a good one goes on keyed by its search (see
 * {@link SearchLog#searchKey}) with where it was read, a bad one becomes a dead letter that keeps
 * its raw bytes and says why.
 */
final class DecodeInteractions implements Processor<byte[], byte[], String, byte[]> {

  /** How far ahead of the wall clock an event's time may be. */
  static final Duration MAX_FUTURE = Duration.ofMinutes(30);

  private final RecordDecoder<Interaction> decoder =
      RecordDecoders.interactions(InputLimits.DEFAULTS);
  private final AvroCodec<DeadLetter> deadLetters = AvroCodec.of(DeadLetter.class);
  private final JoinerMetrics metrics;
  private ProcessorContext<String, byte[]> context;

  DecodeInteractions(JoinerMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
  }

  private void dead(Record<byte[], byte[]> record, DeadLetter letter) {
    metrics.add("undecodable", 1);
    context.forward(
        record
            .withKey((String) null)
            .withValue(Envelope.output(Envelope.DEAD, deadLetters.encode(letter))));
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    metrics.add("events_in", 1);
    RecordMetadata meta = context.recordMetadata().orElseThrow();
    RawRecord raw =
        new RawRecord(
            meta.topic(),
            meta.partition(),
            meta.offset(),
            record.timestamp(),
            record.key(),
            record.value());
    Decoded<Interaction> decoded;
    if (record.value() == null) {
      decoded =
          Decoded.dead(
              DeadLetters.of(
                  raw,
                  "Interaction at " + raw.position() + " has no value",
                  RecordDecoders.INTERACTIONS_STAGE,
                  Instant.now()));
    } else {
      decoded = decoder.decode(raw, Instant.now());
    }
    if (decoded.deadLetter() != null) {
      dead(record, decoded.deadLetter());
      return;
    }
    Interaction event = decoded.value();
    long ahead = event.getTs().toEpochMilli() - System.currentTimeMillis();
    if (ahead > MAX_FUTURE.toMillis()) {
      // Its timestamp would make the broker refuse the repartitioned record (Kafka's
      // log.message.timestamp.after.max.ms, 1 h by default) and stop the joiner.
      dead(
          record,
          DeadLetters.of(
              raw,
              "Interaction at "
                  + raw.position()
                  + " has ts "
                  + event.getTs()
                  + ", more than "
                  + MAX_FUTURE
                  + " ahead of the clock",
              RecordDecoders.INTERACTIONS_STAGE,
              Instant.now()));
      return;
    }
    context.forward(
        record
            .withKey(SearchLog.searchKey(event))
            .withValue(
                Envelope.event(
                    new Origin(meta.topic(), meta.partition(), meta.offset()), record.value())));
  }
}
