package io.twinstream.schemas.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.records.DeadLetter;
import io.twinstream.schemas.AvroCodec;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A dead letter is never dropped for its size: one that would not fit a topic is cut down until it
 * does, and says what was cut; one that fits is written as it is.
 */
class DeadLettersTest {

  private static final AvroCodec<DeadLetter> CODEC = AvroCodec.of(DeadLetter.class);
  private static final Instant NOW = Instant.ofEpochMilli(7);

  private static DeadLetter letter(int keyBytes, int valueBytes, String error) {
    byte[] key = new byte[keyBytes];
    Arrays.fill(key, (byte) 'k');
    byte[] value = new byte[valueBytes];
    Arrays.fill(value, (byte) 'v');
    return DeadLetters.unwritable("embeddings", key, value, error, "write-embeddings", NOW);
  }

  @Test
  void aDeadLetterThatFitsIsKeptAsItIs() {
    DeadLetter small = letter(10, 1_000, "too big elsewhere");
    assertSame(small, DeadLetters.fitting(small, 10_000));
  }

  @Test
  void aValueOverTheLimitIsCutAndTheCutIsSaid() {
    DeadLetter big = letter(600_000, 1_048_400, "Embedding of 1648400 bytes exceeds the limit");
    DeadLetter cut = DeadLetters.fitting(big, 1_000_000);
    assertTrue(CODEC.encode(cut).length <= 1_000_000, "encodes within the limit");
    assertTrue(
        cut.getError()
            .startsWith("Embedding of 1648400 bytes exceeds the limit; value cut from 1048400 to "),
        cut.getError());
    assertEquals(600_000, cut.getKey().remaining(), "the key is cut only when the value is gone");
    ByteBuffer value = cut.getValue();
    assertTrue(value.remaining() > 390_000, "as much of the value as fits is kept");
    assertEquals('v', value.get(value.position()));
    assertEquals("embeddings", cut.getTopic());
    assertEquals("write-embeddings", cut.getStage());
    assertEquals(NOW, cut.getAt());
  }

  @Test
  void aKeyAndAnErrorOverTheLimitAreCutToo() {
    DeadLetter huge = letter(2_000_000, 10, "e".repeat(3_000_000));
    DeadLetter cut = DeadLetters.fitting(huge, 100_000);
    assertTrue(CODEC.encode(cut).length <= 100_000);
    assertEquals(0, cut.getValue().remaining());
    assertTrue(cut.getKey().remaining() > 50_000);
    assertTrue(
        cut.getError()
            .endsWith(
                "; error cut; value cut from 10 to 0 bytes; key cut from 2000000 to "
                    + cut.getKey().remaining()
                    + " bytes"),
        cut.getError().substring(cut.getError().length() - 120));
  }

  @Test
  void aLetterOfMultiByteTextStillFits() {
    DeadLetter letter =
        DeadLetters.of(
            new RawRecord("sentences", 0, 1, 0, new byte[0], new byte[900_000]),
            "\u4e2d".repeat(400_000),
            "decode",
            NOW);
    assertTrue(CODEC.encode(DeadLetters.fitting(letter, 1_000_000)).length <= 1_000_000);
  }
}
