package io.twinstream.schemas.decode;

import io.twinstream.records.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;

/**
 * Builds {@link DeadLetter}s: of a raw record that could not be used (its position, raw key and
 * value unchanged, and why), of a record that could not be written, and cut down to a size that can
 * be.
 */
public final class DeadLetters {

  /** Bytes a dead letter's encoding adds to its key, value and texts (header, field framing). */
  private static final int OVERHEAD = 256;

  private DeadLetters() {}

  /**
   * The dead letter of a record the job made but could not write to {@code topic} (too large, or a
   * field its schema refuses): the record's key and encoded value as they would have been written.
   */
  public static DeadLetter unwritable(
      String topic, byte[] key, byte[] value, String reason, String stage, Instant now) {
    return DeadLetter.newBuilder()
        .setTopic(topic)
        .setPartition(-1)
        .setOffset(-1)
        .setKey(key == null ? null : ByteBuffer.wrap(key))
        .setValue(value == null ? null : ByteBuffer.wrap(value))
        .setError(reason)
        .setStage(stage)
        .setAt(now)
        .build();
  }

  /**
   * {@code letter}, cut so that it encodes to at most {@code maxBytes}: the value first, then the
   * key, then the error text; what was cut is said at the end of its error. A dead letter is never
   * dropped for its size.
   */
  public static DeadLetter fitting(DeadLetter letter, int maxBytes) {
    int budget = maxBytes - OVERHEAD;
    int key = length(letter.getKey());
    int value = length(letter.getValue());
    int texts = utf8(letter.getError()) + utf8(letter.getStage()) + utf8(letter.getTopic());
    if (key + value + texts <= budget) {
      return letter;
    }
    int room = 200; // for the note on what was cut
    StringBuilder note = new StringBuilder();
    String error = letter.getError();
    int errorBytes = utf8(error);
    int errorKept = Math.min(errorBytes, Math.max(512, budget / 8));
    if (errorKept < errorBytes) {
      error = error.substring(0, Math.min(error.length(), errorKept / 3)) + "…";
      note.append("; error cut");
    }
    int fixed = utf8(error) + utf8(letter.getStage()) + utf8(letter.getTopic()) + room;
    int keyKept = Math.max(0, Math.min(key, budget - fixed));
    int valueKept = Math.max(0, Math.min(value, budget - fixed - keyKept));
    if (valueKept < value) {
      note.append("; value cut from ")
          .append(value)
          .append(" to ")
          .append(valueKept)
          .append(" bytes");
    }
    if (keyKept < key) {
      note.append("; key cut from ").append(key).append(" to ").append(keyKept).append(" bytes");
    }
    return DeadLetter.newBuilder(letter)
        .setKey(prefix(letter.getKey(), keyKept))
        .setValue(prefix(letter.getValue(), valueKept))
        .setError(error + note)
        .build();
  }

  private static int length(ByteBuffer b) {
    return b == null ? 0 : b.remaining();
  }

  /** An upper bound of the UTF-8 length of {@code s}, without encoding a long text. */
  private static int utf8(String s) {
    return s == null ? 0 : s.length() * 3;
  }

  private static ByteBuffer prefix(ByteBuffer b, int bytes) {
    if (b == null) {
      return null;
    }
    ByteBuffer copy = b.duplicate();
    copy.limit(copy.position() + Math.min(bytes, copy.remaining()));
    return copy.slice();
  }

  /** The dead letter of {@code raw}, rejected at {@code stage} for {@code reason}. */
  public static DeadLetter of(RawRecord raw, String reason, String stage, Instant now) {
    return DeadLetter.newBuilder()
        .setTopic(raw.topic)
        .setPartition(raw.partition)
        .setOffset(raw.offset)
        .setKey(raw.key == null ? null : ByteBuffer.wrap(raw.key))
        .setValue(raw.value == null ? null : ByteBuffer.wrap(raw.value))
        .setError(reason)
        .setStage(stage)
        .setAt(now)
        .build();
  }
}
