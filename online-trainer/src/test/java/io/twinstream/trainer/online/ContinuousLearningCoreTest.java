package io.twinstream.trainer.online;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.trainer.TrainingExample;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ContinuousLearningCoreTest {

  private static Feedback fb(String anchor, String candidate, float label) {
    return new Feedback(anchor, candidate, label, 0L);
  }

  @Test
  void theHeldOutSideDependsOnlyOnTheAnchorAndHasTheConfiguredShare() {
    int held = 0;
    for (int i = 0; i < 10_000; i++) {
      if (ReplayBuffer.isHeldOut("query " + i, 0.2)) {
        held++;
      }
    }
    assertEquals(2000, held, 150);
    ReplayBuffer buffer = new ReplayBuffer(100, 0.2, 50);
    for (int i = 0; i < 200; i++) {
      String anchor = "query " + (i % 40);
      ReplayBuffer.Outcome o = buffer.offer(fb(anchor, "doc " + i, i % 3 == 0 ? 1f : 0f));
      assertEquals(ReplayBuffer.isHeldOut(anchor, 0.2), o == ReplayBuffer.Outcome.HELD_OUT);
    }
    Set<String> trainAnchors = new HashSet<>();
    buffer.sample(1000, 1).forEach(f -> trainAnchors.add(f.anchor()));
    for (Feedback f : buffer.heldOut()) {
      assertFalse(trainAnchors.contains(f.anchor()), "anchor on both sides: " + f.anchor());
    }
  }

  @Test
  void duplicatesReplaceAndTheOldestGoWhenFull() {
    ReplayBuffer buffer = new ReplayBuffer(3, 0.0, 10);
    buffer.offer(fb("a", "1", 1));
    buffer.offer(fb("a", "2", 1));
    assertEquals(ReplayBuffer.Outcome.UPDATED, buffer.offer(fb("a", "1", 0)));
    assertEquals(2, buffer.trainingSize());
    buffer.offer(fb("b", "3", 1));
    buffer.offer(fb("c", "4", 1)); // evicts ("a","2"), now the oldest
    List<Feedback> all = buffer.sample(10, 7);
    assertEquals(3, all.size());
    assertTrue(all.contains(fb("a", "1", 0)), "the later label wins");
    assertFalse(all.stream().anyMatch(f -> f.candidate().equals("2")));
  }

  @Test
  void samplingFavoursRecentFeedbackAndIsSeeded() {
    ReplayBuffer buffer = new ReplayBuffer(1000, 0.0, 100);
    for (int i = 0; i < 1000; i++) {
      buffer.offer(fb("q" + i, "d" + i, 1));
    }
    List<Feedback> sample = buffer.sample(100, 42);
    assertEquals(sample, buffer.sample(100, 42));
    long recent =
        sample.stream().filter(f -> Integer.parseInt(f.anchor().substring(1)) >= 800).count();
    // With a half-life of 100 the newest fifth carries ~3/4 of the weight.
    assertTrue(recent > 60, "recent entries in the sample: " + recent);
  }

  @Test
  void aRoundsSampleHoldsTheNewestPairsAndReplaysABoundedShareOfTheOlder() {
    ReplayBuffer buffer = new ReplayBuffer(1000, 0.0, 5_000);
    for (int i = 0; i < 900; i++) {
      buffer.offer(fb("q" + i, "d" + i, 1));
    }
    // 600 pairs, of which the newest 400 (what came since the last round) as they are.
    List<Feedback> sample = buffer.sample(600, 400, 9);
    assertEquals(600, sample.size());
    assertEquals(600, Set.copyOf(sample).size(), "without replacement");
    for (int i = 500; i < 900; i++) {
      assertTrue(sample.contains(fb("q" + i, "d" + i, 1)), "new pair " + i);
    }
    assertEquals(fb("q899", "d899", 1), sample.get(0), "newest first");
    assertEquals(sample, buffer.sample(600, 400, 9));
    assertNotEquals(sample.subList(400, 600), buffer.sample(600, 400, 10).subList(400, 600));
    // Fewer pairs than asked for: all of them.
    assertEquals(900, buffer.sample(1000, 700, 9).size());
    assertThrows(IllegalArgumentException.class, () -> buffer.sample(10, 11, 1));
  }

  @Test
  void aRoundTrainsOnWhatTheServingVersionHasNotLearntPlusAReplayedShareWithinTheCap() {
    TrainerSettings settings =
        new TrainerSettings(
            20_000,
            0.2,
            5_000,
            1_200,
            0.3,
            new TrainingTrigger(500, Duration.ofHours(1), 1),
            "mnrl",
            io.twinstream.trainer.TrainingOptions.defaults(),
            PromotionGate.defaults(),
            "ft",
            42,
            "default",
            "",
            new RoundRetry(0, Duration.ofSeconds(1)),
            0,
            0,
            0,
            TrainerSettings.DEFAULT_BRIDGE,
            TrainerSettings.DEFAULT_BRIDGE_TEXTS,
            TrainingMode.FULL,
            io.twinstream.encoder.bridge.AdapterTrainer.defaults());
    // A round after a promotion: the 400 new training pairs, and 171 replayed (30% of 571).
    assertEquals(new TrainerSettings.Sample(571, 400), settings.sampleFor(400));
    // After a rejection the serving version has still not learnt the last round's pairs: 800 new.
    assertEquals(new TrainerSettings.Sample(1_143, 800), settings.sampleFor(800));
    // Within the cap: at most 840 new and 360 replayed.
    assertEquals(new TrainerSettings.Sample(1_200, 840), settings.sampleFor(5_000));
    assertEquals(new TrainerSettings.Sample(0, 0), settings.sampleFor(0));
  }

  @Test
  void aRestoredBufferSamplesAsTheOriginal() {
    ReplayBuffer buffer = new ReplayBuffer(50, 0.25, 20);
    for (int i = 0; i < 120; i++) {
      buffer.offer(fb("q" + (i % 30), "d" + i, i % 2));
    }
    ReplayBuffer restored = ReplayBuffer.restore(buffer.snapshot(), 50, 0.25, 20);
    assertEquals(buffer.trainingSize(), restored.trainingSize());
    assertEquals(buffer.heldOut(), restored.heldOut());
    assertEquals(buffer.sample(20, 3), restored.sample(20, 3));
    assertEquals(buffer.sample(20, 12, 3), restored.sample(20, 12, 3));
  }

  @Test
  void feedbackBecomesTripletsWhenEveryAnchorHasANegative() {
    List<TrainingExample> triplets =
        FeedbackExamples.training(
            List.of(
                fb("q1", "good", 1),
                fb("q1", "bad", 0),
                fb("q2", "fine", 1),
                fb("q2", "poor", 0),
                fb("q2", "worse", 0)));
    assertEquals(
        List.of(
            TrainingExample.triplet("q1", "good", "bad"),
            TrainingExample.triplet("q2", "fine", "poor")),
        triplets);
    List<TrainingExample> pairs =
        FeedbackExamples.training(
            List.of(fb("q1", "good", 1), fb("q2", "fine", 1), fb("q2", "poor", 0)));
    assertEquals(
        List.of(TrainingExample.pair("q1", "good"), TrainingExample.pair("q2", "fine")), pairs);
  }

  @Test
  void heldOutFeedbackBecomesARetrievalTask() {
    var evaluator =
        FeedbackExamples.evaluator(
            List.of(
                fb("cat food", "tins for cats", 1),
                fb("cat food", "dog leash", 0),
                fb("car tyres", "winter tyres", 1)),
            Map.of("x", "an unrelated page"));
    assertNotNull(evaluator);
    assertEquals(2, evaluator.queryCount());
    assertEquals(6, evaluator.textCount()); // 4 documents + 2 queries
    assertNull(FeedbackExamples.evaluator(List.of(fb("q", "d", 0)), Map.of()));
  }

  @Test
  void roundsStartAfterEnoughPairsOrEnoughTime() {
    TrainingTrigger trigger = new TrainingTrigger(100, Duration.ofMinutes(5), 10);
    assertTrue(trigger.due(100, 0, 1));
    assertFalse(trigger.due(99, 0, 1));
    assertTrue(trigger.due(10, 0, Duration.ofMinutes(5).toMillis()));
    assertFalse(trigger.due(9, 0, Duration.ofMinutes(60).toMillis()));
  }
}
