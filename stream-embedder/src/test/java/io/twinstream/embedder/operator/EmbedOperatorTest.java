package io.twinstream.embedder.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.records.Embedding;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.TestHarnessUtil;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The embedding operator in Flink's operator test harness: batches cut by size, token budget and
 * wait; embedded on the encoder's lane while the next batch forms; flushed before barriers and at
 * the end of input.
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

  private List<Embedding> awaitOutput(int count) throws Exception {
    Mails.runUntil(harness, () -> output().size() >= count);
    return output();
  }

  private static List<String> ids(List<Embedding> out) {
    return out.stream().map(Embedding::getId).toList();
  }

  private void reopen(EmbedOperator operator) throws Exception {
    harness.close();
    harness = new TwoInputStreamOperatorTestHarness<>(operator);
    harness.setProcessingTime(1_000);
    harness.open();
  }

  @Test
  void aFullBatchIsEmittedAtOnceInInputOrder() throws Exception {
    harness.processElement1(sentence("a", "first sentence"), 0);
    harness.processElement1(sentence("b", "a second, longer sentence about streams"), 0);
    assertEquals(0, output().size(), "not full yet, not due yet");
    harness.processElement1(sentence("c", "third"), 0);
    List<Embedding> out = awaitOutput(3);
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
    assertEquals(List.of("a", "b"), ids(awaitOutput(2)));
  }

  @Test
  void aLaterBatchGetsItsOwnDeadline() throws Exception {
    harness.processElement1(sentence("a", "one"), 0);
    harness.setProcessingTime(1_000 + MAX_WAIT);
    assertEquals(1, awaitOutput(1).size());
    harness.setProcessingTime(2_000);
    harness.processElement1(sentence("b", "two"), 0);
    harness.setProcessingTime(2_000 + MAX_WAIT - 1);
    assertEquals(1, output().size());
    harness.setProcessingTime(2_000 + MAX_WAIT);
    assertEquals(2, awaitOutput(2).size());
  }

  @Test
  void withoutAWaitASentenceGoesToAnIdleEncoderAtOnce() throws Exception {
    reopen(new EmbedOperator("default", "", 256, 32, 0, 1));
    harness.processElement1(sentence("a", "alone on an idle encoder"), 0);
    assertEquals(List.of("a"), ids(awaitOutput(1)), "no timer had to fire");
  }

  @Test
  void sentencesArrivingWhileABatchIsEmbeddedFormTheNextBatch() throws Exception {
    EmbedOperator operator = new EmbedOperator("default", "", 256, 32, 0, 1);
    reopen(operator);
    harness.processElement1(sentence("a", "goes to the encoder at once"), 0);
    harness.processElement1(sentence("b", "arrives while a is embedded"), 0);
    harness.processElement1(sentence("c", "so does this one"), 0);
    assertEquals(List.of("a", "b", "c"), ids(awaitOutput(3)));
    assertEquals(2, operator.batchesEmbedded(), "a alone, then b and c together");
  }

  @Test
  void aFullBatchWaitsForTheBatchInFlight() throws Exception {
    reopen(new EmbedOperator("default", "", 2, 32, 0, 1));
    harness.processElement1(sentence("a", "in flight"), 0);
    harness.processElement1(sentence("b", "forming"), 0);
    harness.processElement1(sentence("c", "fills the forming batch"), 0);
    // No mail ran: the full batch could only go once a had been taken off the encoder and emitted.
    assertEquals(List.of("a"), ids(output()));
    assertEquals(List.of("a", "b", "c"), ids(awaitOutput(3)));
  }

  @Test
  void sentencesOfEveryKeyLeaveInTheOrderTheyCameAcrossManyBatchesInFlight() throws Exception {
    EmbedOperator operator = new EmbedOperator("default", "", 4, 32, 0, 1);
    reopen(operator);
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      String id = "key" + (i % 7) + "/" + i;
      harness.processElement1(
          sentence(id, "event " + i + " of its key" + " more".repeat(i % 11)), 0);
      sent.add(id);
      // As the task thread does: now and then it runs the lane's mails between records, so
      // results come back while later batches are forming and in flight.
      if (i % 3 == 0) {
        Optional<Mail> mail = harness.getTaskMailbox().tryTake(TaskMailbox.MIN_PRIORITY);
        if (mail.isPresent()) {
          mail.get().run();
        }
      }
    }
    harness.endInput1();
    assertEquals(sent, ids(output()), "one global order, so every key's order too");
    assertTrue(
        operator.batchesEmbedded() >= 30, "batches of at most 4: " + operator.batchesEmbedded());
  }

  @Test
  void aBatchIsCutWhenItsEstimatedTokensReachTheBudget() throws Exception {
    EmbedOperator operator = new EmbedOperator("default", "", 256, 100, 32, 3_600_000, 1, false);
    reopen(operator);
    harness.processElement1(sentence("short", "a short one"), 0);
    assertEquals(0, output().size(), "neither full nor due");
    harness.processElement1(sentence("long", "word ".repeat(80)), 0); // ~100 tokens
    assertEquals(List.of("short", "long"), ids(awaitOutput(2)), "cut by tokens, not by count");
    assertEquals(1, operator.batchesEmbedded());
  }

  @Test
  void aCheckpointBarrierWaitsForTheBatchInFlightAndTheOneForming() throws Exception {
    reopen(new EmbedOperator("default", "", 256, 32, 0, 1));
    harness.processElement1(sentence("a", "in flight at the barrier"), 0);
    harness.processElement1(sentence("b", "forming at the barrier"), 0);
    harness.prepareSnapshotPreBarrier(1);
    // Emitted before the barrier, without any mail: nothing is held across the checkpoint.
    assertEquals(List.of("a", "b"), ids(output()));
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
