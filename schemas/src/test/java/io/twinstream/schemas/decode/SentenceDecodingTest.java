package io.twinstream.schemas.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
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
}
