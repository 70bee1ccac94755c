package io.twinstream.lifecycle;

/** Where a model version is in its life in the vector store. */
public enum Phase {
  /** Its backfill started: the store is being given its vector of every document. */
  BACKFILLING,
  /** Its backfill completed: every document read has a row of it, so it may be cut over to. */
  BACKFILLED,
  /** The store searches it; FULLY_SERVED is not announced yet. */
  SERVING,
  /** The store searches it and FULLY_SERVED is announced (dual writing of the one before stops). */
  FULLY_SERVED,
  /** Another version serves; its rows go when its grace period ends, or are kept. */
  RETIRED,
  /** Its rows were dropped after its grace period. */
  DROPPED,
  /** Its backfill was given up because the registry decided otherwise; its rows were dropped. */
  ABANDONED;

  /** Whether the store searches a version in this phase. */
  public boolean serving() {
    return this == SERVING || this == FULLY_SERVED;
  }

  /** Whether a backfill of a version in this phase is under way or done but not cut over to. */
  public boolean filling() {
    return this == BACKFILLING || this == BACKFILLED;
  }
}
