package io.twinstream.schemas.decode;

import io.twinstream.records.DeadLetter;

/**
 * What decoding one raw record gave: a record, a dead letter saying why there is none, or nothing
 * because the record is not for this reader (its key belongs to someone else). Exactly one of the
 * three.
 *
 * @param value the decoded record, or null
 * @param deadLetter the dead letter, or null
 * @param <T> the record type
 */
public record Decoded<T>(T value, DeadLetter deadLetter) {

  /** A decoded record. */
  public static <T> Decoded<T> of(T value) {
    return new Decoded<>(value, null);
  }

  /** A record that could not be used. */
  public static <T> Decoded<T> dead(DeadLetter deadLetter) {
    return new Decoded<>(null, deadLetter);
  }

  /** A record for another reader: neither used nor dead-lettered. */
  public static <T> Decoded<T> skipped() {
    return new Decoded<>(null, null);
  }

  /** Whether the record is not for this reader. */
  public boolean isSkipped() {
    return value == null && deadLetter == null;
  }
}
