package io.twinstream.embedder.model;

import io.twinstream.embedder.kafka.Topics;
import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelRegistry;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.AvroCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Issues {@link ModelUpdate}s: makes a registry version current and announces it on the compacted
 * {@code model-updates} topic (key = registry name), where every running embedding job picks it up.
 */
public final class ModelUpdates {

  private final ModelRegistry registry;
  private final String registryName;
  private final Map<String, Object> kafka;
  private final String topic;
  private final Clock clock;

  /**
   * @param kafka Kafka client configuration ({@code bootstrap.servers} and any security settings)
   */
  public ModelUpdates(ModelRegistry registry, String registryName, Map<String, Object> kafka, String topic) {
    this(registry, registryName, kafka, topic, Clock.systemUTC());
  }

  ModelUpdates(ModelRegistry registry, String registryName, Map<String, Object> kafka, String topic, Clock clock) {
    this.registry = registry;
    this.registryName = registryName;
    this.kafka = Map.copyOf(kafka);
    this.topic = topic;
    this.clock = clock;
  }

  /** Creates the compacted model-updates topic if it does not exist. */
  public void ensureTopic() {
    try (Admin admin = Admin.create(kafka)) {
      Topics.create(admin, Map.of(topic, 1), Map.of(topic, Map.of("cleanup.policy", "compact")),
          Duration.ofSeconds(30));
    }
  }

  /** Verifies {@code version}, makes it current and sends PROMOTED. */
  public ModelUpdate promote(String version, String reason) throws IOException, InvalidBundleException {
    return announce(version, ModelStatus.PROMOTED, reason);
  }

  /** Makes {@code version} (an earlier one) current again and sends ROLLED_BACK. */
  public ModelUpdate rollback(String version, String reason) throws IOException, InvalidBundleException {
    return announce(version, ModelStatus.ROLLED_BACK, reason);
  }

  /** Sends REJECTED for {@code version} (it never serves), with the metrics and reason of the decision. */
  public ModelUpdate reject(String version, Map<String, Double> metrics, String reason) throws IOException {
    BundleManifest manifest = manifest(version);
    ModelUpdate update = build(manifest, ModelStatus.REJECTED, metrics, reason);
    send(update);
    return update;
  }

  /**
   * Sends REJECTED for a round that produced no bundle (nothing to train on, or training diverged): the
   * update names the version it would have had, with {@code sha256} empty since nothing was published.
   */
  public ModelUpdate rejectUnpublished(String version, String parentVersion, Map<String, Double> metrics,
      String reason) throws IOException {
    ModelUpdate update = ModelUpdate.newBuilder()
        .setVersion(version)
        .setParentVersion(parentVersion)
        .setUri(registry.uri(version).toString())
        .setSha256("")
        .setStatus(ModelStatus.REJECTED)
        .setMetrics(new HashMap<>(metrics))
        .setCreatedAt(clock.instant())
        .setReason(reason)
        .build();
    send(update);
    return update;
  }

  private ModelUpdate announce(String version, ModelStatus status, String reason)
      throws IOException, InvalidBundleException {
    BundleManifest manifest = registry.load(version).manifest();
    registry.setCurrent(version);
    ModelUpdate update = build(manifest, status, manifest.metrics(), reason);
    send(update);
    return update;
  }

  private BundleManifest manifest(String version) throws IOException {
    try {
      return registry.load(version).manifest();
    } catch (InvalidBundleException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  private ModelUpdate build(BundleManifest manifest, ModelStatus status, Map<String, Double> metrics,
      String reason) throws IOException {
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

  /** Sends one update and waits for its acknowledgement. */
  public void send(ModelUpdate update) throws IOException {
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, registryName.getBytes(StandardCharsets.UTF_8),
          AvroCodec.of(ModelUpdate.class).encode(update))).get();
    } catch (ExecutionException e) {
      throw new IOException("Cannot send the model update to " + topic + ": " + e.getCause().getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while sending the model update", e);
    }
  }
}
