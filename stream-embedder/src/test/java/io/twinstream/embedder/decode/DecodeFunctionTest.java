package io.twinstream.embedder.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.records.DeadLetter;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.ModelUpdateKeys;
import io.twinstream.schemas.decode.RawRecord;
import io.twinstream.schemas.decode.RecordDecoder;
import io.twinstream.schemas.decode.RecordDecoders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The one decode stage, in Flink's operator harness, for each topic's decoder. */
class DecodeFunctionTest {

  private static <T extends SpecificRecord> OneInputStreamOperatorTestHarness<RawRecord, T> harness(
      RecordDecoder<T> decoder) throws Exception {
    OneInputStreamOperatorTestHarness<RawRecord, T> h =
        new OneInputStreamOperatorTestHarness<>(
            new ProcessOperator<>(new DecodeFunction<>(decoder, "recordsIn")));
    h.open();
    return h;
  }

  private static RawRecord raw(String topic, long offset, String key, byte[] value) {
    return new RawRecord(
        topic, 0, offset, 0L, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
  }

  private static <T> List<T> values(OneInputStreamOperatorTestHarness<RawRecord, T> h) {
    return h.extractOutputValues();
  }

  private static List<DeadLetter> deadLetters(OneInputStreamOperatorTestHarness<RawRecord, ?> h) {
    return h.getSideOutput(DecodeFunction.DEAD_LETTERS).stream()
        .map(StreamRecord::getValue)
        .toList();
  }

  @Test
  void sentencesGoOnAndBadRecordsBecomeDeadLettersOfTheirStage() throws Exception {
    try (var h = harness(RecordDecoders.sentences())) {
      Sentence ok =
          Sentence.newBuilder().setId("1").setText("fine").setEventTime(Instant.EPOCH).build();
      h.processElement(raw("sentences", 1, "1", AvroCodec.of(Sentence.class).encode(ok)), 0);
      h.processElement(raw("sentences", 2, "x", "garbage".getBytes(StandardCharsets.UTF_8)), 0);
      h.processElement(raw("sentences", 3, "y", null), 0);
      assertEquals(List.of(ok), values(h));
      List<DeadLetter> dead = deadLetters(h);
      assertEquals(List.of(2L, 3L), dead.stream().map(DeadLetter::getOffset).toList());
      assertTrue(dead.stream().allMatch(d -> d.getStage().equals("decode")));
    }
  }

  @Test
  void feedbackWithALabelOutOfRangeIsADeadLetterOfTheFeedbackStage() throws Exception {
    try (var h = harness(RecordDecoders.feedbackPairs())) {
      FeedbackPair bad =
          FeedbackPair.newBuilder()
              .setAnchor("q")
              .setCandidate("d")
              .setLabel(2f)
              .setEventTime(Instant.EPOCH)
              .build();
      h.processElement(
          raw("feedback-pairs", 9, "q", AvroCodec.of(FeedbackPair.class).encode(bad)), 0);
      assertEquals(List.of(), values(h));
      assertEquals("decode-feedback", deadLetters(h).get(0).getStage());
      assertTrue(deadLetters(h).get(0).getError().contains("outside [0, 1]"));
    }
  }

  @Test
  void modelUpdatesOfOtherRegistriesAreDroppedWithoutADeadLetter() throws Exception {
    try (var h = harness(RecordDecoders.modelUpdates("default"))) {
      ModelUpdate u =
          ModelUpdate.newBuilder()
              .setVersion("v2")
              .setParentVersion(null)
              .setUri("file:/r/v2")
              .setSha256("")
              .setStatus(ModelStatus.PROMOTED)
              .setMetrics(Map.of())
              .setCreatedAt(Instant.EPOCH)
              .setReason("")
              .build();
      byte[] value = AvroCodec.of(ModelUpdate.class).encode(u);
      h.processElement(raw("model-updates", 0, "other", value), 0);
      h.processElement(raw("model-updates", 1, ModelUpdateKeys.of("default", u), value), 0);
      h.processElement(raw("model-updates", 2, "default", new byte[] {0}), 0);
      assertEquals(List.of(u), values(h));
      assertEquals(List.of(2L), deadLetters(h).stream().map(DeadLetter::getOffset).toList());
    }
  }
}
