package io.twinstream.schemas.decode;

import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.RecordDecodeException;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;

/**
 * Decodes the raw records of one topic into one Avro record type, the same way for every topic: the
 * value must be a single-object-encoded record of the type, then pass every {@link Check}; anything
 * else becomes a {@link io.twinstream.records.DeadLetter} that keeps the raw key and value and says
 * why, stamped with this decoder's stage. An optional key filter skips records meant for other
 * readers. Plain Java and serializable, so that one Flink function (or a Kafka Streams processor)
 * can carry any of them; the instances for Twinstream's topics are in {@link RecordDecoders}.
 *
 * @param <T> the record type
 */
public final class RecordDecoder<T extends SpecificRecord> implements Serializable {

  private static final long serialVersionUID = 1L;

  /** One rule a decoded record must follow. */
  @FunctionalInterface
  public interface Check<T> extends Serializable {
    /** Why {@code record} (read at {@code raw}) cannot be used, or null when it can. */
    String problem(T record, RawRecord raw);
  }

  /** Which record keys are meant for this reader. */
  @FunctionalInterface
  public interface KeyFilter extends Serializable {
    boolean accepts(byte[] key);
  }

  private final Class<T> type;
  private final String stage;
  private final List<Check<T>> checks;
  private final KeyFilter keys;
  private transient AvroCodec<T> codec;

  private RecordDecoder(Class<T> type, String stage, List<Check<T>> checks, KeyFilter keys) {
    this.type = Objects.requireNonNull(type, "type");
    this.stage = Objects.requireNonNull(stage, "stage");
    this.checks = List.copyOf(checks);
    this.keys = keys;
  }

  /** A decoder of {@code type} whose dead letters carry {@code stage}; no checks, every key. */
  public static <T extends SpecificRecord> RecordDecoder<T> of(Class<T> type, String stage) {
    return new RecordDecoder<>(type, stage, List.of(), null);
  }

  /** This decoder with one more check (checks run in order; the first problem wins). */
  public RecordDecoder<T> check(Check<T> check) {
    List<Check<T>> all = new ArrayList<>(checks);
    all.add(Objects.requireNonNull(check, "check"));
    return new RecordDecoder<>(type, stage, all, keys);
  }

  /** This decoder, skipping records whose key {@code filter} does not accept. */
  public RecordDecoder<T> onlyKeys(KeyFilter filter) {
    return new RecordDecoder<>(type, stage, checks, Objects.requireNonNull(filter, "filter"));
  }

  /** The record type. */
  public Class<T> type() {
    return type;
  }

  /** The stage named in this decoder's dead letters. */
  public String stage() {
    return stage;
  }

  /** Decodes {@code raw}; {@code now} stamps a dead letter. */
  public Decoded<T> decode(RawRecord raw, Instant now) {
    if (keys != null && !keys.accepts(raw.key)) {
      return Decoded.skipped();
    }
    if (codec == null) {
      codec = AvroCodec.of(type);
    }
    T record;
    try {
      record = codec.decode(raw.value);
    } catch (RecordDecodeException e) {
      return Decoded.dead(DeadLetters.of(raw, e.getMessage(), stage, now));
    }
    for (Check<T> check : checks) {
      String problem = check.problem(record, raw);
      if (problem != null) {
        return Decoded.dead(DeadLetters.of(raw, problem, stage, now));
      }
    }
    return Decoded.of(record);
  }

  @Override
  public String toString() {
    return "RecordDecoder[" + type.getSimpleName() + ", stage " + stage + "]";
  }
}
