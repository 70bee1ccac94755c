package io.twinstream.cli;

import io.twinstream.embedder.store.Backfill;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.encoder.registry.ModelUpdates;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import java.io.IOException;
import java.util.Map;

/**
 * What follows a complete backfill, shared by {@code twinstream backfill}, the run's auto-backfill
 * and {@code twinstream store cut-over}: the FULLY_SERVED announcement, and dropping the version
 * served before once its grace period is over.
 */
final class FullyServed {

  private FullyServed() {}

  /** Announces FULLY_SERVED for {@code bundle}'s version on {@code topic}. */
  static void announce(
      ModelRegistry registry,
      String registryName,
      Map<String, Object> kafka,
      String topic,
      ModelBundle bundle,
      Backfill.Result result,
      String reason)
      throws IOException {
    Map<String, Double> metrics =
        result == null
            ? Map.of()
            : Map.of(
                "backfill_rows",
                (double) result.rows(),
                "backfill_seconds",
                result.took().toNanos() / 1e9);
    new KafkaModelUpdates(registry, registryName, kafka, topic)
        .ensureTopic()
        .send(new ModelUpdates(registry).fullyServed(bundle, metrics, reason));
  }

  /**
   * Drops the rows of {@code old} unless it serves again (a rollback during the grace period).
   *
   * @return what happened, in words
   */
  static String dropUnlessServing(StoreSpec store, String old) {
    try (VectorStore s = store.open()) {
      if (s.servingVersion().map(old::equals).orElse(false)) {
        return "kept " + old + ": it serves again (rolled back during the grace period)";
      }
      return "dropped " + old + ": " + s.dropVersion(old) + " rows";
    }
  }
}
