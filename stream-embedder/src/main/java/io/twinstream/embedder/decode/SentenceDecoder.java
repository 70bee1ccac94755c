package io.twinstream.embedder.decode;

import io.twinstream.embedder.source.RawRecord;
import io.twinstream.records.DeadLetter;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.RecordDecodeException;
import java.time.Instant;

/**
 * Turns a raw Kafka record into a {@link Sentence}, or into a {@link DeadLetter} that keeps the raw key and
 * value and says why: the value is not a decodable Sentence, or its text is empty or whitespace only.
 * Plain Java; the Flink function around it only routes the two outcomes.
 */
public final class SentenceDecoder {

  private final AvroCodec<Sentence> codec = AvroCodec.of(Sentence.class);

  /** The decoded sentence, or the dead letter: exactly one of the two is set. */
  public record Result(Sentence sentence, DeadLetter deadLetter) {}

  /** Decodes {@code raw}; {@code now} stamps a dead letter. */
  public Result decode(RawRecord raw, Instant now) {
    Sentence sentence;
    try {
      sentence = codec.decode(raw.value);
    } catch (RecordDecodeException e) {
      return dead(raw, e.getMessage(), now);
    }
    if (sentence.getText().isBlank()) {
      return dead(raw, "Sentence " + sentence.getId() + " has an empty or whitespace-only text", now);
    }
    if (sentence.getId().isEmpty()) {
      return dead(raw, "Sentence has an empty id", now);
    }
    return new Result(sentence, null);
  }

  private static Result dead(RawRecord raw, String reason, Instant now) {
    return new Result(null, DeadLetters.of(raw, reason, "decode", now));
  }
}
