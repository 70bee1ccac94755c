package io.twinstream.lifecycle.kafka;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.encoder.registry.ModelUpdates;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.lifecycle.Announcer;
import io.twinstream.lifecycle.VersionRecord;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * FULLY_SERVED on a registry's {@code model-updates} topic: the lifecycle's {@link Announcer}, and
 * {@code twinstream store cut-over}'s. The announcement carries the version's bundle (from the
 * registry, or built in) and its backfill's figures.
 */
public final class RegistryAnnouncer implements Announcer {

  private final ModelRegistry registry;
  private final KafkaModelUpdates updates;

  /** Where the bundle of a version comes from (the registry, or a built-in model). */
  @FunctionalInterface
  public interface Bundles {
    ModelBundle bundle(String version) throws IOException;
  }

  private final Bundles models;
  private final String reason;

  public RegistryAnnouncer(
      ModelRegistry registry,
      String registryName,
      Map<String, Object> kafka,
      String topic,
      Bundles models,
      String reason) {
    this.registry = registry;
    this.updates = new KafkaModelUpdates(registry, registryName, kafka, topic).ensureTopic();
    this.models = models;
    this.reason = reason;
  }

  @Override
  public void fullyServed(VersionRecord record) throws IOException {
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("rows", (double) record.rows());
    if (record.backfillStarted() != null && record.backfillFinished() != null) {
      metrics.put("backfill_rows", (double) record.rows());
      metrics.put(
          "backfill_seconds",
          Duration.between(record.backfillStarted(), record.backfillFinished()).toMillis() / 1e3);
    }
    announce(models.bundle(record.version()), metrics);
  }

  /** Announces FULLY_SERVED for {@code bundle}'s version with {@code metrics}. */
  public void announce(ModelBundle bundle, Map<String, Double> metrics) throws IOException {
    updates.send(new ModelUpdates(registry).fullyServed(bundle, metrics, reason));
  }
}
