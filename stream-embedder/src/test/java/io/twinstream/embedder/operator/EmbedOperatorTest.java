package io.twinstream.embedder.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.records.Embedding;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.util.TestHarnessUtil;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The embedding operator in Flink's operator test harness: flushing on size, timer, barrier and end
 * of input.
 */
class EmbedOperatorTest {

  private static final long MAX_WAIT = 50;
  private TwoInputStreamOperatorTestHarness<Sentence, ModelUpdate, Embedding> harness;

  @BeforeEach
  void open() throws Exception {
    harness =
        new TwoInputStreamOperatorTestHarness<>(
            new EmbedOperator("default", "", 3, 32, MAX_WAIT, 1));
    harness.setProcessingTime(1_000);
    harness.open();
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  private static Sentence sentence(String id, String text) {
    return Sentence.newBuilder()
        .setId(id)
        .setText(text)
        .setEventTime(Instant.ofEpochMilli(900))
        .setAttributes(Map.of("k", id))
        .build();
  }

  private List<Embedding> output() {
    return TestHarnessUtil.getRawElementsFromOutput(harness.getOutput());
  }

  @Test
  void aFullBatchIsEmittedAtOnceInInputOrder() throws Exception {
    harness.processElement1(sentence("a", "first sentence"), 0);
    harness.processElement1(sentence("b", "a second, longer sentence about streams"), 0);
    assertEquals(0, output().size(), "not full yet, not due yet");
    harness.processElement1(sentence("c", "third"), 0);
    List<Embedding> out = output();
    assertEquals(List.of("a", "b", "c"), out.stream().map(Embedding::getId).toList());
    try (SentenceEncoder encoder = SentenceEncoder.open(ModelBundle.builtin(ModelBundle.DEFAULT))) {
      float[] expected = encoder.encode("a second, longer sentence about streams").vector();
      for (int d = 0; d < expected.length; d++) {
        assertEquals(expected[d], out.get(1).getVector().get(d), 1e-5f);
      }
    }
    assertEquals("all-MiniLM-L6-v2", out.get(0).getModelVersion());
    assertEquals(Instant.ofEpochMilli(900), out.get(0).getEventTime());
    assertEquals(Map.of("k", "a"), out.get(0).getAttributes());
  }

  @Test
  void aPartialBatchIsEmittedWhenItsFirstSentenceHasWaitedMaxWait() throws Exception {
    harness.processElement1(sentence("a", "one"), 0);
    harness.setProcessingTime(1_020);
    harness.processElement1(sentence("b", "two"), 0);
    harness.setProcessingTime(1_000 + MAX_WAIT - 1);
    assertEquals(0, output().size());
    harness.setProcessingTime(1_000 + MAX_WAIT);
    assertEquals(List.of("a", "b"), output().stream().map(Embedding::getId).toList());
  }

  @Test
  void aLaterBatchGetsItsOwnDeadline() throws Exception {
    harness.processElement1(sentence("a", "one"), 0);
    harness.setProcessingTime(1_000 + MAX_WAIT);
    assertEquals(1, output().size());
    harness.setProcessingTime(2_000);
    harness.processElement1(sentence("b", "two"), 0);
    harness.setProcessingTime(2_000 + MAX_WAIT - 1);
    assertEquals(1, output().size());
    harness.setProcessingTime(2_000 + MAX_WAIT);
    assertEquals(2, output().size());
  }

  @Test
  void theBatchIsFlushedBeforeACheckpointBarrier() throws Exception {
    harness.processElement1(sentence("a", "one"), 0);
    harness.prepareSnapshotPreBarrier(1);
    assertEquals(List.of("a"), output().stream().map(Embedding::getId).toList());
  }

  @Test
  void theBatchIsFlushedAtTheEndOfInput() throws Exception {
    harness.processElement1(sentence("a", "one"), 0);
    harness.processElement1(sentence("b", "two"), 0);
    harness.endInput1();
    assertEquals(2, output().size());
  }

  @Test
  void truncationIsCarriedOnTheEmbedding() throws Exception {
    harness.processElement1(sentence("long", "word ".repeat(300)), 0);
    harness.endInput1();
    Embedding e = output().get(0);
    assertTrue(e.getTruncated());
    assertEquals(302, e.getTokenCount());
  }
}
