package io.twinstream.encoder.registry;

import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.ServingCheck;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import java.io.IOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Builds the {@link ModelUpdate} records that announce a registry's decisions: PROMOTED and
 * ROLLED_BACK (a version must now serve), REJECTED (a candidate that failed its gate, kept for
 * inspection). Verifies the bundle and stamps the update with its URI and manifest SHA-256, which
 * every reader checks before it serves. Side-effect free: moving {@code CURRENT} ({@link
 * ModelRegistry#setCurrent}) and sending the record are the caller's steps (the CLI's {@code
 * ModelUpdateProducer}, the trainer's transactional sink).
 */
public final class ModelUpdates {

  private final ModelRegistry registry;
  private final Clock clock;

  public ModelUpdates(ModelRegistry registry) {
    this(registry, Clock.systemUTC());
  }

  public ModelUpdates(ModelRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
  }

  /** The registry the updates are about. */
  public ModelRegistry registry() {
    return registry;
  }

  /**
   * PROMOTED for {@code version}, after verifying its bundle and checking that it serves ({@link
   * ServingCheck}).
   *
   * @throws InvalidBundleException if the version is not published, does not verify or cannot serve
   */
  public ModelUpdate promoted(String version, String reason)
      throws IOException, InvalidBundleException {
    BundleManifest manifest = servable(version);
    return build(manifest, ModelStatus.PROMOTED, manifest.metrics(), reason);
  }

  /** ROLLED_BACK to {@code version} (an earlier one), after the same checks as a promotion. */
  public ModelUpdate rolledBack(String version, String reason)
      throws IOException, InvalidBundleException {
    BundleManifest manifest = servable(version);
    return build(manifest, ModelStatus.ROLLED_BACK, manifest.metrics(), reason);
  }

  /**
   * FULLY_SERVED for {@code bundle}'s version: its backfill is complete and the vector store
   * searches it. A bundle of the registry is named by its version URI and manifest SHA-256; a
   * built-in one (the model a job started with) by its {@code builtin:} location.
   */
  public ModelUpdate fullyServed(ModelBundle bundle, Map<String, Double> metrics, String reason)
      throws IOException {
    boolean builtin = bundle.location().startsWith("builtin:");
    String version = bundle.version();
    return ModelUpdate.newBuilder()
        .setVersion(version)
        .setParentVersion(bundle.manifest().parentVersion())
        .setUri(builtin ? bundle.location() : registry.uri(version).toString())
        .setSha256(builtin ? "" : registry.manifestSha256(version))
        .setStatus(ModelStatus.FULLY_SERVED)
        .setMetrics(new HashMap<>(metrics))
        .setCreatedAt(clock.instant())
        .setReason(reason)
        .build();
  }

  private BundleManifest servable(String version) throws InvalidBundleException {
    ModelBundle bundle = registry.load(version);
    ServingCheck.check(bundle);
    return bundle.manifest();
  }

  /**
   * REJECTED for the published candidate {@code version} (it never serves), with the decision's
   * metrics.
   */
  public ModelUpdate rejected(String version, Map<String, Double> metrics, String reason)
      throws IOException, InvalidBundleException {
    return build(registry.load(version).manifest(), ModelStatus.REJECTED, metrics, reason);
  }

  /**
   * REJECTED for a round that produced no bundle (nothing to train on, or training diverged): the
   * update names the version it would have had, with {@code sha256} empty since nothing was
   * published.
   */
  public ModelUpdate rejectedUnpublished(
      String version, String parentVersion, Map<String, Double> metrics, String reason) {
    return ModelUpdate.newBuilder()
        .setVersion(version)
        .setParentVersion(parentVersion)
        .setUri(registry.uri(version).toString())
        .setSha256("")
        .setStatus(ModelStatus.REJECTED)
        .setMetrics(new HashMap<>(metrics))
        .setCreatedAt(clock.instant())
        .setReason(reason)
        .build();
  }

  private ModelUpdate build(
      BundleManifest manifest, ModelStatus status, Map<String, Double> metrics, String reason)
      throws IOException {
    return ModelUpdate.newBuilder()
        .setVersion(manifest.version())
        .setParentVersion(manifest.parentVersion())
        .setUri(registry.uri(manifest.version()).toString())
        .setSha256(registry.manifestSha256(manifest.version()))
        .setStatus(status)
        .setMetrics(new HashMap<>(metrics))
        .setCreatedAt(clock.instant())
        .setReason(reason)
        .build();
  }
}
