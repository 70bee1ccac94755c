package io.twinstream.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The rules on facts alone: what may never happen whatever the journal says. */
class LifecycleTest {

  static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

  static VersionRecord retiredLongAgo(String version) {
    return VersionRecord.found(version, Phase.FULLY_SERVED, NOW.minusSeconds(7200), 10)
        .retired(NOW.minusSeconds(3600), 10, Optional.of(Duration.ofMinutes(1)), "test");
  }

  @Test
  void aServingVersionIsNeverDroppedEvenWhenItsRecordSaysItsGraceIsOver() {
    Facts f =
        new Facts(
            Optional.of("v1"),
            Optional.of("v1"),
            Map.of("v1", 10L),
            Map.of("v1", retiredLongAgo("v1").fullyServed(NOW)),
            NOW);
    assertEquals(Optional.empty(), Lifecycle.next(f));
    Facts stale =
        new Facts(
            Optional.of("v1"),
            Optional.of("v1"),
            Map.of("v1", 10L),
            Map.of("v1", retiredLongAgo("v1")),
            NOW);
    assertEquals(Optional.of(new Step.Announce("v1")), Lifecycle.next(stale));
  }

  @Test
  void theRegistrysVersionIsNeverDroppedButBackfilledAgain() {
    Facts f =
        new Facts(
            Optional.of("v1"),
            Optional.of("v2"),
            Map.of("v1", 10L, "v2", 10L),
            Map.of("v1", retiredLongAgo("v1")),
            NOW);
    assertEquals(Optional.of(new Step.Backfill("v1")), Lifecycle.next(f));
  }

  @Test
  void aCutOverHappensOnlyToABackfilledVersionTheStoreDoesNotSearch() {
    VersionRecord backfilled = VersionRecord.backfilling("v2", NOW).backfilled(NOW, 10, 10);
    Facts ready =
        new Facts(
            Optional.of("v2"),
            Optional.of("v1"),
            Map.of("v1", 10L, "v2", 10L),
            Map.of("v2", backfilled),
            NOW);
    assertEquals(Optional.of(new Step.CutOver("v2", Optional.of("v1"))), Lifecycle.next(ready));
    Facts done =
        new Facts(
            Optional.of("v2"),
            Optional.of("v2"),
            Map.of("v1", 10L, "v2", 10L),
            Map.of("v2", backfilled),
            NOW);
    assertEquals(Optional.of(new Step.Announce("v2")), Lifecycle.next(done));
  }

  @Test
  void theEarliestGraceEndWakesTheController() {
    VersionRecord a =
        VersionRecord.found("a", Phase.FULLY_SERVED, NOW, 1)
            .retired(NOW, 1, Optional.of(Duration.ofMinutes(5)), "");
    VersionRecord b =
        VersionRecord.found("b", Phase.FULLY_SERVED, NOW, 1)
            .retired(NOW, 1, Optional.of(Duration.ofMinutes(2)), "");
    Facts f =
        new Facts(
            Optional.of("c"),
            Optional.of("c"),
            Map.of("a", 1L, "b", 1L, "c", 1L),
            Map.of("a", a, "b", b),
            NOW);
    assertEquals(Optional.of(NOW.plus(Duration.ofMinutes(2))), Lifecycle.wakeAt(f));
  }

  @Test
  void aBackfilledVersionOfAStoreWithoutDocumentsWaitsForItsFirstRowInsteadOfCuttingOver() {
    VersionRecord backfilled = VersionRecord.backfilling("v1", NOW).backfilled(NOW, 0, 0);
    Facts empty =
        new Facts(Optional.of("v1"), Optional.empty(), Map.of(), Map.of("v1", backfilled), NOW);
    assertEquals(Optional.empty(), Lifecycle.next(empty));
    Facts firstRow =
        new Facts(
            Optional.of("v1"), Optional.empty(), Map.of("v1", 1L), Map.of("v1", backfilled), NOW);
    assertEquals(Optional.of(new Step.CutOver("v1", Optional.empty())), Lifecycle.next(firstRow));
  }
}
