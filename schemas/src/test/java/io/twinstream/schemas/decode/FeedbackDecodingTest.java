package io.twinstream.schemas.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.records.FeedbackPair;
import io.twinstream.schemas.AvroCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The feedback-pairs decoder. */
class FeedbackDecodingTest {

  private final RecordDecoder<FeedbackPair> decoder = RecordDecoders.feedbackPairs();
  private final AvroCodec<FeedbackPair> codec = AvroCodec.of(FeedbackPair.class);

  private RawRecord raw(FeedbackPair pair) {
    return new RawRecord(
        "feedback-pairs", 0, 41, 0L, "q1".getBytes(StandardCharsets.UTF_8), codec.encode(pair));
  }

  private static FeedbackPair pair(String anchor, String candidate, float label) {
    return FeedbackPair.newBuilder()
        .setAnchor(anchor)
        .setCandidate(candidate)
        .setLabel(label)
        .setSource("click")
        .setEventTime(Instant.EPOCH)
        .build();
  }

  @Test
  void aValidPairIsDecoded() {
    Decoded<FeedbackPair> result =
        decoder.decode(raw(pair("reset password", "how to recover access", 1f)), Instant.now());
    assertNull(result.deadLetter());
    assertEquals("reset password", result.value().getAnchor());
  }

  @Test
  void unusablePairsBecomeDeadLettersNamingThePositionAndReason() {
    assertReason(
        raw(pair(" ", "doc", 1f)), "FeedbackPair at feedback-pairs-0@41 has an empty anchor");
    assertReason(raw(pair("q", "", 0f)), "has an empty candidate");
    assertReason(raw(pair("q", "doc", 1.5f)), "has label 1.5 outside [0, 1]");
    assertReason(raw(pair("q", "doc", Float.NaN)), "has label NaN outside [0, 1]");
    assertReason(raw(pair("\u00a0\u200b", "doc", 1f)), "has an empty anchor");
    String mb = "d".repeat(InputLimits.DEFAULTS.textBytes());
    assertNull(decoder.decode(raw(pair("q", mb, 1f)), Instant.now()).deadLetter());
    assertReason(
        raw(pair("q", mb + "!", 1f)),
        "FeedbackPair at feedback-pairs-0@41: its candidate has 1048577 bytes, over the limit of"
            + " 1048576 (limits.text-bytes)");
    RawRecord garbage =
        new RawRecord(
            "feedback-pairs", 0, 42, 0L, null, "not avro".getBytes(StandardCharsets.UTF_8));
    Decoded<FeedbackPair> result = decoder.decode(garbage, Instant.now());
    assertNull(result.value());
    assertEquals("decode-feedback", result.deadLetter().getStage());
    assertEquals(42, result.deadLetter().getOffset());
    assertEquals(
        "not avro", StandardCharsets.UTF_8.decode(result.deadLetter().getValue()).toString());
  }

  private void assertReason(RawRecord raw, String reason) {
    Decoded<FeedbackPair> result = decoder.decode(raw, Instant.now());
    assertNull(result.value());
    assertTrue(result.deadLetter().getError().contains(reason), result.deadLetter().getError());
  }
}
