package io.twinstream.lifecycle;

import java.util.Optional;

/** What the lifecycle does next to one version ({@link Lifecycle#next}). */
public sealed interface Step {

  /** The version the step is about. */
  String version();

  /** Give every document a vector of the version (again: a backfill is idempotent). */
  record Backfill(String version) implements Step {}

  /** Make the store search the version (it is backfilled); {@code previous} is retired. */
  record CutOver(String version, Optional<String> previous) implements Step {}

  /** Announce FULLY_SERVED for the version the store searches. */
  record Announce(String version) implements Step {}

  /** A version the store no longer searches: set when its rows go (its grace period). */
  record Retire(String version) implements Step {}

  /** Drop the version's rows: its grace period is over, or it was dropped or abandoned before. */
  record Drop(String version) implements Step {}

  /** Give up the version's backfill (the registry decided otherwise) and drop its rows. */
  record Abandon(String version) implements Step {}
}
