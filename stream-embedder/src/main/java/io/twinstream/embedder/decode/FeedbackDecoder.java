package io.twinstream.embedder.decode;

import io.twinstream.embedder.source.RawRecord;
import io.twinstream.records.DeadLetter;
import io.twinstream.records.FeedbackPair;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.RecordDecodeException;
import java.time.Instant;

/**
 * Turns a raw {@code feedback-pairs} record into a {@link FeedbackPair}, or into a {@link DeadLetter} saying
 * why: not a decodable FeedbackPair, an empty anchor or candidate, or a label outside [0, 1]. Plain Java.
 */
public final class FeedbackDecoder {

  private final AvroCodec<FeedbackPair> codec = AvroCodec.of(FeedbackPair.class);

  /** The decoded pair, or the dead letter: exactly one of the two is set. */
  public record Result(FeedbackPair pair, DeadLetter deadLetter) {}

  /** Decodes {@code raw}; {@code now} stamps a dead letter. */
  public Result decode(RawRecord raw, Instant now) {
    FeedbackPair pair;
    try {
      pair = codec.decode(raw.value);
    } catch (RecordDecodeException e) {
      return dead(raw, e.getMessage(), now);
    }
    String where = "FeedbackPair at " + raw.position();
    if (pair.getAnchor().isBlank()) {
      return dead(raw, where + " has an empty anchor", now);
    }
    if (pair.getCandidate().isBlank()) {
      return dead(raw, where + " has an empty candidate", now);
    }
    float label = pair.getLabel();
    if (!(label >= 0f && label <= 1f)) {
      return dead(raw, where + " has label " + label + " outside [0, 1]", now);
    }
    return new Result(pair, null);
  }

  private static Result dead(RawRecord raw, String reason, Instant now) {
    return new Result(null, DeadLetters.of(raw, reason, "decode-feedback", now));
  }
}
