package io.twinstream.lifecycle;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What the lifecycle decides on, read afresh before every step: the registry's decision, the
 * store's own state and the journal. Nothing else is remembered between steps, so a controller
 * restarted at any point decides from the same facts.
 *
 * @param target the version the registry serves (its newest PROMOTED or ROLLED_BACK), or the first
 *     model when it decided nothing yet; empty when neither is known
 * @param serving the version the store searches
 * @param rows rows per version in the store
 * @param journal the last record per version
 * @param now the clock
 */
public record Facts(
    Optional<String> target,
    Optional<String> serving,
    Map<String, Long> rows,
    Map<String, VersionRecord> journal,
    Instant now) {

  public Facts {
    rows = Map.copyOf(rows);
    journal = Map.copyOf(journal);
  }

  /** Whether {@code version} is the one the registry serves. */
  boolean isTarget(String version) {
    return target.map(version::equals).orElse(false);
  }

  /** Whether the store searches {@code version}. */
  boolean isServing(String version) {
    return serving.map(version::equals).orElse(false);
  }

  Optional<VersionRecord> record(String version) {
    return Optional.ofNullable(journal.get(version));
  }
}
