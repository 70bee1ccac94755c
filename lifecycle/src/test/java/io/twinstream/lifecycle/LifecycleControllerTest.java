package io.twinstream.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LifecycleControllerTest {

  static final Duration GRACE = Duration.ofMinutes(10);

  static final LifecycleController.Settings SETTINGS =
      LifecycleController.Settings.defaults()
          .withFirst("v1")
          .withGrace(Optional.of(GRACE))
          .withPoll(Duration.ofMillis(20), Duration.ofMillis(20));

  @TempDir Path tmp;

  @Test
  void aPromotionIsBackfilledCutOverAnnouncedAndTheVersionBeforeDroppedAfterItsGrace()
      throws Exception {
    try (World w = new World(tmp, 50)) {
      LifecycleController c = w.controller(SETTINGS);
      assertEquals(
          List.of(new Step.Backfill("v1"), new Step.CutOver("v1", Optional.empty())),
          c.settle().subList(0, 2));
      assertEquals(Optional.of("v1"), w.store.servingVersion());
      assertEquals(Phase.FULLY_SERVED, w.record("v1").phase());

      w.decide("v2");
      assertEquals(
          List.of(
              new Step.Backfill("v2"),
              new Step.CutOver("v2", Optional.of("v1")),
              new Step.Announce("v2")),
          c.settle());
      assertEquals(50, w.store.count("v2"));
      assertEquals(Phase.RETIRED, w.record("v1").phase());
      assertEquals(w.now.plus(GRACE), w.record("v1").dropDue());
      assertEquals(Optional.of(w.now.plus(GRACE)), Lifecycle.wakeAt(c.facts()));

      w.now = w.now.plus(GRACE).minusSeconds(1);
      assertEquals(List.of(), c.settle(), "nothing goes before its grace ends");
      assertEquals(50, w.store.count("v1"));

      w.now = w.now.plusSeconds(1);
      assertEquals(List.of(new Step.Drop("v1")), c.settle());
      assertEquals(Map.of("v2", 50L), w.store.versions());
      assertEquals(Phase.DROPPED, w.record("v1").phase());
      assertEquals(List.of("v1", "v2"), w.announced);
      assertEquals(List.of("v1", "v2"), w.store.cutOvers);
    }
  }

  /**
   * The whole life (first version, a promotion, the grace drop), with the controller dying before
   * each of its journal writes in turn — after the step's effect, before it is recorded — and a new
   * controller going on from the same store and journal.
   */
  @Test
  void aControllerRestartedAtAnyPointCutsOverOnceLosesNoGraceDropAndLeavesOneRowPerDocument()
      throws Exception {
    int writes = 0;
    for (int crashAt = 0; ; crashAt++) {
      Path dir = tmp.resolve("crash-" + crashAt);
      try (World w = new World(dir, 30)) {
        w.crashAtWrite = crashAt;
        settleSurvivingCrashes(w);
        w.decide("v2");
        settleSurvivingCrashes(w);
        w.now = w.now.plus(GRACE);
        settleSurvivingCrashes(w);
        boolean crashed = w.crashAtWrite == -1;

        assertEquals(Optional.of("v2"), w.store.servingVersion(), "crash at " + crashAt);
        assertEquals(List.of("v1", "v2"), w.store.cutOvers, "crash at " + crashAt);
        assertEquals(Map.of("v2", 30L), w.store.versions(), "crash at " + crashAt);
        assertEquals(Phase.FULLY_SERVED, w.record("v2").phase(), "crash at " + crashAt);
        assertEquals(Phase.DROPPED, w.record("v1").phase(), "crash at " + crashAt);
        assertTrue(w.announced.containsAll(List.of("v1", "v2")), "crash at " + crashAt);
        if (!crashed) {
          writes = crashAt;
          break;
        }
      }
    }
    assertTrue(writes >= 9, "the life has at least 9 recorded steps, saw " + writes);
  }

  /** Settles with a new controller whenever one "dies". */
  private static void settleSurvivingCrashes(World w) throws Exception {
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        w.controller(SETTINGS).settle();
        return;
      } catch (World.Crash e) {
        // the process died here; a new one starts from the same store and journal
      }
    }
    throw new AssertionError("still crashing after 5 restarts");
  }

  @Test
  void aVersionTheStreamFilledNeedsNoBackfillJob() throws Exception {
    try (World w = new World(tmp, 20)) {
      w.jobWrites("v1", 20);
      w.controller(SETTINGS).settle();
      assertEquals(Optional.of("v1"), w.store.servingVersion());
      assertEquals(null, w.backfills.get("v1"), "no backfill job ran");
      assertTrue(w.record("v1").note().contains("written by the stream"), w.record("v1").note());
    }
  }

  @Test
  void documentsWrittenAfterTheBackfillReadTheTopicAreBackfilledBeforeTheCutOver()
      throws Exception {
    try (World w = new World(tmp, 20)) {
      LifecycleController c = w.controller(SETTINGS);
      c.settle();
      w.decide("v2");
      assertEquals(Optional.of(new Step.Backfill("v2")), c.step());
      w.documents.add("late"); // written before the job embeds with v2: only v1 has it
      w.jobWrites("v1", 21);
      assertEquals(Optional.of(new Step.CutOver("v2", Optional.of("v1"))), c.step());
      assertEquals(Optional.of("v1"), w.store.servingVersion(), "not cut over: late lacks v2");
      assertEquals(Phase.BACKFILLING, w.record("v2").phase());
      assertEquals(
          List.of(
              new Step.Backfill("v2"),
              new Step.CutOver("v2", Optional.of("v1")),
              new Step.Announce("v2")),
          c.settle());
      assertTrue(w.store.get("late", "v2").isPresent());
      assertEquals(List.of("v1", "v2"), w.store.cutOvers);
    }
  }

  @Test
  void aFailedBackfillCutsNothingOverAndTheNextAttemptCompletesIt() throws Exception {
    try (World w = new World(tmp, 40)) {
      LifecycleController c = w.controller(SETTINGS);
      c.settle();
      w.decide("v2");
      w.failBackfillAfter = 20;
      IllegalStateException e = assertThrows(IllegalStateException.class, c::settle);
      assertEquals("the backfill job of v2 failed", e.getMessage());
      assertEquals(Optional.of("v1"), w.store.servingVersion());
      assertEquals(Phase.BACKFILLING, w.record("v2").phase());
      assertEquals(20, w.store.count("v2"), "what the failed job wrote stays");

      c.settle();
      assertEquals(Optional.of("v2"), w.store.servingVersion());
      assertEquals(40, w.store.count("v2"));
      assertEquals(2, w.backfills.get("v2"));
    }
  }

  @Test
  void aRollbackDuringABackfillAbandonsItDropsItsRowsAndTheStoreKeepsServing() throws Exception {
    try (World w = new World(tmp, 60)) {
      LifecycleController c = w.controller(SETTINGS);
      c.settle();
      w.decide("v2");
      w.duringBackfill =
          (version, written) -> {
            if (version.equals("v2") && written == 20) {
              w.decide("v1"); // ROLLED_BACK v1, announced mid-backfill
            }
          };
      List<Step> steps = c.settle();
      assertEquals(List.of(new Step.Abandon("v2")), steps, "the backfill stopped, then abandoned");
      assertTrue(w.backfills.get("v2") == 1);
      assertEquals(Optional.of("v1"), w.store.servingVersion());
      assertEquals(Map.of("v1", 60L), w.store.versions());
      assertEquals(Phase.ABANDONED, w.record("v2").phase());
      assertEquals(Phase.FULLY_SERVED, w.record("v1").phase());
      assertEquals(List.of("v1"), w.store.cutOvers, "never cut over to the abandoned version");
    }
  }

  @Test
  void aRollbackWithinTheGraceBackfillsTheOldVersionAgainAndNeverDropsIt() throws Exception {
    try (World w = new World(tmp, 20)) {
      LifecycleController c = w.controller(SETTINGS);
      c.settle();
      w.decide("v2");
      c.settle();
      w.documents.add("written-while-v2-served");
      w.jobWrites("v2", 21);

      w.decide("v1");
      assertEquals(
          List.of(
              new Step.Backfill("v1"),
              new Step.CutOver("v1", Optional.of("v2")),
              new Step.Announce("v1")),
          c.settle());
      assertEquals(21, w.store.count("v1"), "the document written while v2 served has v1 too");
      w.now = w.now.plus(GRACE);
      assertEquals(List.of(new Step.Drop("v2")), c.settle());
      assertEquals(Map.of("v1", 21L), w.store.versions());
    }
  }

  @Test
  void withoutAGraceAReplacedVersionIsKept() throws Exception {
    try (World w = new World(tmp, 10)) {
      LifecycleController c = w.controller(SETTINGS.withGrace(Optional.empty()));
      c.settle();
      w.decide("v2");
      c.settle();
      w.now = w.now.plus(Duration.ofDays(365));
      assertEquals(List.of(), c.settle());
      assertEquals(10, w.store.count("v1"));
      assertNull(w.record("v1").dropDue());
      assertEquals(Optional.empty(), Lifecycle.wakeAt(c.facts()));
    }
  }

  @Test
  void rowsOfADroppedVersionThatComeBackAreDroppedAgain() throws Exception {
    try (World w = new World(tmp, 10)) {
      LifecycleController c = w.controller(SETTINGS.withGrace(Optional.of(Duration.ZERO)));
      c.settle();
      w.decide("v2");
      c.settle();
      assertFalse(w.store.versions().containsKey("v1"));
      w.jobWrites("v1", 3); // a dual writer that had not heard of FULLY_SERVED yet
      assertEquals(List.of(new Step.Drop("v1")), c.settle());
      assertEquals(Map.of("v2", 10L), w.store.versions());
    }
  }

  @Test
  void withNoDecisionAndNoFirstVersionItWaitsAndAnnouncesWhatTheStoreAlreadyServes()
      throws Exception {
    try (World w = new World(tmp, 5)) {
      LifecycleController idle =
          w.controller(LifecycleController.Settings.defaults().withGrace(Optional.of(GRACE)));
      assertEquals(List.of(), idle.settle());
      w.jobWrites("v0", 5);
      w.store.cutOver("v0"); // served before there was a controller
      assertEquals(List.of(new Step.Announce("v0")), idle.settle());
      assertEquals(List.of("v0"), w.announced);
    }
  }

  @Test
  void twoControllersTakingTurnsCutOverOnceAndAnnounceOnce() throws Exception {
    try (World w = new World(tmp, 30)) {
      LifecycleController a = w.controller(SETTINGS);
      LifecycleController b = w.controller(SETTINGS);
      w.decide("v1");
      for (int i = 0; i < 6; i++) {
        (i % 2 == 0 ? a : b).step();
      }
      w.decide("v2");
      for (int i = 0; i < 8; i++) {
        (i % 2 == 0 ? b : a).step();
      }
      assertEquals(List.of("v1", "v2"), w.store.cutOvers);
      assertEquals(List.of("v1", "v2"), w.announced);
      assertEquals(Phase.RETIRED, w.record("v1").phase());
    }
  }

  @Test
  void aControllerReplacedByANewerOneTakesNoFurtherStepAndItsThreadStops() throws Exception {
    try (World w = new World(tmp, 30)) {
      List<String> told = new ArrayList<>();
      LifecycleController.Listener listener =
          new LifecycleController.Listener() {
            @Override
            public void takenOver(String why) {
              synchronized (told) {
                told.add(why);
              }
            }
          };
      LifecycleController old = w.ownedController(SETTINGS, listener);
      w.decide("v1");
      old.settle();
      assertEquals(List.of("v1"), w.store.cutOvers);
      LifecycleController newer = w.ownedController(SETTINGS, listener);
      w.decide("v2");
      assertThrows(JournalTakenOver.class, old::step);
      assertEquals(null, w.backfills.get("v2"), "no backfill from the replaced controller");
      assertEquals(List.of("v1"), w.store.cutOvers);
      newer.settle();
      assertEquals(List.of("v1", "v2"), w.store.cutOvers);
      assertEquals(List.of("v1", "v2"), w.announced);

      w.decide("v1");
      try (LifecycleController c = old.start()) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (c.takenOver().isEmpty() && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        assertTrue(c.takenOver().isPresent(), "its thread stopped for good");
      }
      synchronized (told) {
        assertEquals(1, told.size(), told.toString());
      }
      assertEquals(List.of("v1", "v2"), w.store.cutOvers, "nothing cut back by it");
    }
  }

  @Test
  void runningOnItsThreadItFollowsDecisionsAndStopsABackfillWhenClosed() throws Exception {
    try (World w = new World(tmp, 200)) {
      try (LifecycleController c = w.controller(SETTINGS).start()) {
        w.awaitAnnounced("v1");
        assertEquals(Optional.of("v1"), w.store.servingVersion());
        w.decide("v2");
        w.awaitAnnounced("v2");
        LifecycleController.Snapshot s = c.snapshot();
        assertEquals(Optional.of("v2"), s.serving());
        assertEquals(200L, s.rows().get("v2"));
        assertEquals(Optional.empty(), s.backfill());
      }
    }
  }
}
