package io.twinstream.schemas.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.records.DeadLetter;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sentences decoder: what becomes a dead letter, and what the dead letter keeps. */
class SentenceDecodingTest {

  private static final Instant NOW = Instant.ofEpochMilli(42);
  private final RecordDecoder<Sentence> decoder = RecordDecoders.sentences();

  private static RawRecord raw(byte[] value) {
    return new RawRecord("sentences", 3, 17, 5, "k".getBytes(StandardCharsets.UTF_8), value);
  }

  @Test
  void aValidSentenceIsDecoded() {
    Sentence s = Sentence.newBuilder().setId("1").setText("hello").setEventTime(NOW).build();
    Decoded<Sentence> r = decoder.decode(raw(AvroCodec.of(Sentence.class).encode(s)), NOW);
    assertEquals(s, r.value());
    assertNull(r.deadLetter());
  }

  @Test
  void garbageBecomesADeadLetterWithItsPositionBytesAndReason() {
    byte[] value = "not avro".getBytes(StandardCharsets.UTF_8);
    Decoded<Sentence> r = decoder.decode(raw(value), NOW);
    assertNull(r.value());
    assertEquals("sentences", r.deadLetter().getTopic());
    assertEquals(3, r.deadLetter().getPartition());
    assertEquals(17, r.deadLetter().getOffset());
    assertEquals(ByteBuffer.wrap(value), r.deadLetter().getValue());
    assertEquals(ByteBuffer.wrap("k".getBytes(StandardCharsets.UTF_8)), r.deadLetter().getKey());
    assertTrue(r.deadLetter().getError().contains("not an Avro single-object encoded message"));
    assertEquals(NOW, r.deadLetter().getAt());
    assertEquals("decode", r.deadLetter().getStage());
  }

  @Test
  void aRecordOfAnotherTypeIsDeadLettered() {
    byte[] pair =
        AvroCodec.of(FeedbackPair.class)
            .encode(
                FeedbackPair.newBuilder()
                    .setAnchor("a")
                    .setCandidate("b")
                    .setLabel(1)
                    .setEventTime(NOW)
                    .build());
    assertTrue(decoder.decode(raw(pair), NOW).deadLetter().getError().contains("unknown schema"));
  }

  @Test
  void aTombstoneIsDeadLettered() {
    Decoded<Sentence> r = decoder.decode(raw(null), NOW);
    assertTrue(r.deadLetter().getError().contains("null"));
    assertNull(r.deadLetter().getValue());
  }

  @Test
  void anEmptyTextIsDeadLetteredNamingTheSentence() {
    Sentence s = Sentence.newBuilder().setId("x-9").setText(" \t ").setEventTime(NOW).build();
    Decoded<Sentence> r = decoder.decode(raw(AvroCodec.of(Sentence.class).encode(s)), NOW);
    assertEquals("Sentence x-9 has an empty or whitespace-only text", r.deadLetter().getError());
  }

  @Test
  void textsOfOnlyInvisibleCharactersAreBlank() {
    for (String text :
        new String[] {
          "\u00a0\u00a0", "\u200b", "\ufeff \u2007\u202f", "\u0000\u0007", "\u200d\n"
        }) {
      Sentence s = Sentence.newBuilder().setId("inv").setText(text).setEventTime(NOW).build();
      Decoded<Sentence> r = decoder.decode(raw(AvroCodec.of(Sentence.class).encode(s)), NOW);
      assertEquals(
          "Sentence inv has an empty or whitespace-only text",
          r.deadLetter().getError(),
          text.codePoints().mapToObj(Integer::toHexString).toList().toString());
    }
    for (String text : new String[] {"a\u00a0b", "\u200b\u4e2d", "\ud83d\ude00", "\u05e9"}) {
      Sentence s = Sentence.newBuilder().setId("vis").setText(text).setEventTime(NOW).build();
      assertNull(decoder.decode(raw(AvroCodec.of(Sentence.class).encode(s)), NOW).deadLetter());
    }
  }

  @Test
  void anIdTextOrAttributesOverTheirLimitsAreDeadLetteredBeforeAnyWork() {
    RecordDecoder<Sentence> limited = RecordDecoders.sentences(new InputLimits(8, 20, 10));
    AvroCodec<Sentence> codec = AvroCodec.of(Sentence.class);
    Sentence ok =
        Sentence.newBuilder()
            .setId("12345678")
            .setText("\u00e9".repeat(10)) // 20 UTF-8 bytes
            .setAttributes(Map.of("k", "123456789"))
            .setEventTime(NOW)
            .build();
    assertNull(limited.decode(raw(codec.encode(ok)), NOW).deadLetter());

    Sentence longId = Sentence.newBuilder(ok).setId("123456789").build();
    assertEquals(
        "Sentence at sentences-3@17: its id has 9 bytes, over the limit of 8 (limits.id-bytes)",
        limited.decode(raw(codec.encode(longId)), NOW).deadLetter().getError());

    Sentence longText = Sentence.newBuilder(ok).setText("\u00e9".repeat(10) + "x").build();
    assertEquals(
        "Sentence 12345678: its text has 21 bytes, over the limit of 20 (limits.text-bytes)",
        limited.decode(raw(codec.encode(longText)), NOW).deadLetter().getError());

    Sentence bigAttributes =
        Sentence.newBuilder(ok).setAttributes(Map.of("k", "1234567890")).build();
    DeadLetter letter = limited.decode(raw(codec.encode(bigAttributes)), NOW).deadLetter();
    assertEquals(
        "Sentence 12345678: its attributes has 11 bytes, over the limit of 10"
            + " (limits.attributes-bytes)",
        letter.getError());
    assertEquals(ByteBuffer.wrap(codec.encode(bigAttributes)), letter.getValue(), "kept whole");
  }

  @Test
  void theDefaultLimitsTakeAMegabyteTextAndRefuseMore() {
    AvroCodec<Sentence> codec = AvroCodec.of(Sentence.class);
    Sentence mb =
        Sentence.newBuilder()
            .setId("big")
            .setText("x".repeat(InputLimits.DEFAULTS.textBytes()))
            .setEventTime(NOW)
            .build();
    assertNull(decoder.decode(raw(codec.encode(mb)), NOW).deadLetter());
    Sentence over = Sentence.newBuilder(mb).setText(mb.getText() + "y").build();
    assertTrue(
        decoder
            .decode(raw(codec.encode(over)), NOW)
            .deadLetter()
            .getError()
            .contains("over the limit of 1048576 (limits.text-bytes)"));
  }
}
