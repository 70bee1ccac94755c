package io.twinstream.lifecycle;

import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.bridge.BridgeMethod;
import io.twinstream.encoder.bridge.QueryBridge;
import io.twinstream.encoder.registry.ModelRegistry;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry's decisions as the store sees them: a version made in adapter mode (its bundle's
 * {@value QueryBridge#FILE_NAME} is a query adapter) embeds documents as the version it adapts, and
 * its queries search that version's vectors; so the store's target is that version — no backfill,
 * no cut-over. Other versions are the store's target as they are. What a version's bundle says is
 * read once.
 */
public final class AdapterDocuments implements ServingDecisions {

  private final ServingDecisions decisions;
  private final ModelRegistry registry;
  private final Map<String, String> documents = new ConcurrentHashMap<>();

  public AdapterDocuments(ServingDecisions decisions, ModelRegistry registry) {
    this.decisions = decisions;
    this.registry = registry;
  }

  @Override
  public Optional<String> serving() {
    return decisions.serving().map(this::documentsOf);
  }

  /**
   * The version whose document vectors {@code version} searches: the version its query adapter maps
   * into, else itself.
   *
   * @throws UncheckedIOException when its bundle cannot be read (the step is tried again)
   */
  public String documentsOf(String version) {
    return documents.computeIfAbsent(
        version,
        v -> {
          try {
            return registry
                .file(v, QueryBridge.FILE_NAME)
                .map(b -> QueryBridge.parse(b, registry.describe(v + "/" + QueryBridge.FILE_NAME)))
                .filter(b -> b.method() == BridgeMethod.ADAPTER)
                .map(QueryBridge::to)
                .orElse(v);
          } catch (InvalidBundleException e) {
            throw new UncheckedIOException(
                new java.io.IOException(
                    v + ": cannot tell whose documents it searches: " + e.getMessage(), e));
          }
        });
  }

  @Override
  public void await(Duration timeout) throws InterruptedException {
    decisions.await(timeout);
  }
}
