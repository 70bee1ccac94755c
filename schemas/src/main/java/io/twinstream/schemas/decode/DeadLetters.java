package io.twinstream.schemas.decode;

import io.twinstream.records.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;

/**
 * Builds the {@link DeadLetter} of a raw record: its position, raw key and value unchanged, and
 * why.
 */
public final class DeadLetters {

  private DeadLetters() {}

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
