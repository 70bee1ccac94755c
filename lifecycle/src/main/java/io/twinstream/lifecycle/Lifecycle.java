package io.twinstream.lifecycle;

import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;

/**
 * The life of a model version in the vector store, as a pure function of {@link Facts}: promoted →
 * backfilling → backfilled → cut over (serving) → FULLY_SERVED announced → retired when another
 * serves → dropped after its grace period; or abandoned when the registry decides otherwise during
 * its backfill, and served again after a rollback (backfilled again first: while another version
 * served, documents were written without it).
 *
 * <p>The rules, first that applies:
 *
 * <ol>
 *   <li>a version being filled that the registry no longer serves and the store does not search is
 *       abandoned;
 *   <li>when the store does not search the registry's version: cut over to it if it is backfilled
 *       and has rows (a store without documents waits for the first: a version without rows cannot
 *       serve), else backfill it (a half-done backfill starts again; upserts make that exact);
 *   <li>when FULLY_SERVED is not recorded for the version the store searches, announce it;
 *   <li>a version with rows that neither serves nor is the registry's: retired if it served before
 *       (or is unknown), dropped when its grace is over, dropped again if rows of a dropped or
 *       abandoned version came back (a late dual write);
 *   <li>a retired version past its grace that has no rows left is recorded dropped (the controller
 *       dropped it and stopped before recording that);
 *   <li>else nothing, until {@link #wakeAt} or the facts change.
 * </ol>
 *
 * A serving version and the registry's version are never dropped, and a cut-over happens only when
 * the store does not search the version yet.
 */
public final class Lifecycle {

  private Lifecycle() {}

  /** The next step, or empty when there is nothing to do now. */
  public static Optional<Step> next(Facts f) {
    for (VersionRecord r : f.journal().values()) {
      if (r.phase().filling() && !f.isTarget(r.version()) && !f.isServing(r.version())) {
        return Optional.of(new Step.Abandon(r.version()));
      }
    }
    if (f.target().isPresent() && !f.isServing(f.target().get())) {
      String target = f.target().get();
      boolean backfilled = f.record(target).map(r -> r.phase() == Phase.BACKFILLED).orElse(false);
      if (!backfilled) {
        return Optional.of(new Step.Backfill(target));
      }
      if (f.rows().getOrDefault(target, 0L) > 0) {
        return Optional.of(new Step.CutOver(target, f.serving()));
      }
    }
    if (f.serving().isPresent()
        && f.record(f.serving().get()).map(r -> r.phase() != Phase.FULLY_SERVED).orElse(true)) {
      return Optional.of(new Step.Announce(f.serving().get()));
    }
    for (var e : f.rows().entrySet()) {
      String v = e.getKey();
      if (e.getValue() <= 0 || f.isServing(v) || f.isTarget(v)) {
        continue;
      }
      Optional<VersionRecord> r = f.record(v);
      if (r.isEmpty() || r.get().phase().serving()) {
        return Optional.of(new Step.Retire(v));
      }
      switch (r.get().phase()) {
        case RETIRED -> {
          if (r.get().dropAt().map(due -> !due.isAfter(f.now())).orElse(false)) {
            return Optional.of(new Step.Drop(v));
          }
        }
        case DROPPED, ABANDONED -> {
          return Optional.of(new Step.Drop(v));
        }
        default -> {
          // filling: the first rule's
        }
      }
    }
    for (VersionRecord r : f.journal().values()) {
      // dropped, but the controller stopped before it recorded that
      if (r.phase() == Phase.RETIRED
          && f.rows().getOrDefault(r.version(), 0L) == 0
          && !f.isServing(r.version())
          && !f.isTarget(r.version())
          && r.dropAt().map(due -> !due.isAfter(f.now())).orElse(false)) {
        return Optional.of(new Step.Drop(r.version()));
      }
    }
    return Optional.empty();
  }

  /** When a retired version's grace ends next, if one does after {@code f.now()}. */
  public static Optional<Instant> wakeAt(Facts f) {
    return f.journal().values().stream()
        .filter(r -> r.phase() == Phase.RETIRED && f.rows().getOrDefault(r.version(), 0L) > 0)
        .map(VersionRecord::dropDue)
        .filter(due -> due != null && due.isAfter(f.now()))
        .min(Comparator.naturalOrder());
  }
}
