package io.twinstream.kafka;

import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.encoder.registry.ModelUpdates;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.ModelUpdateKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A registry's decisions announced on the compacted {@code model-updates} topic by a client (the
 * CLI's {@code model promote/rollback}, tests, benchmarks): check that the version serves, send the
 * update and wait for its acknowledgement, then make the version current. Every running embedding
 * job picks it up. (A trainer inside a job announces through the job's own transactional sink
 * instead.)
 */
public final class KafkaModelUpdates {

  private final ModelUpdates updates;
  private final String registryName;
  private final Map<String, Object> kafka;
  private final String topic;

  /**
   * @param kafka Kafka client configuration ({@code bootstrap.servers} and any security settings)
   */
  public KafkaModelUpdates(
      ModelRegistry registry, String registryName, Map<String, Object> kafka, String topic) {
    this.updates = new ModelUpdates(registry);
    this.registryName = registryName;
    this.kafka = Map.copyOf(kafka);
    this.topic = topic;
  }

  /** Creates the compacted model-updates topic if it does not exist. */
  public KafkaModelUpdates ensureTopic() {
    try (Admin admin = Admin.create(kafka)) {
      Topics.create(
          admin, Map.of(topic, 1), Map.of(topic, Topics.COMPACTED), Duration.ofSeconds(30));
    }
    return this;
  }

  /**
   * Checks that {@code version} serves, announces PROMOTED, then makes it current: announcing first
   * means a failure in between never leaves a {@code CURRENT} that no running job heard of (a
   * repeated promote mends the other case, an announcement whose {@code CURRENT} move failed).
   */
  public ModelUpdate promote(String version, String reason)
      throws IOException, InvalidBundleException {
    return announceThenMakeCurrent(updates.promoted(version, reason));
  }

  /**
   * Rolls back to {@code version} (an earlier one): announces ROLLED_BACK, then makes it current.
   */
  public ModelUpdate rollback(String version, String reason)
      throws IOException, InvalidBundleException {
    return announceThenMakeCurrent(updates.rolledBack(version, reason));
  }

  private ModelUpdate announceThenMakeCurrent(ModelUpdate update)
      throws IOException, InvalidBundleException {
    send(update);
    try {
      updates.registry().setCurrent(update.getVersion());
    } catch (IOException | InvalidBundleException e) {
      throw new IOException(
          update.getStatus()
              + " "
              + update.getVersion()
              + " was announced, but CURRENT could not be moved to it ("
              + e.getMessage()
              + "): running jobs serve it; repeat the command to move CURRENT",
          e);
    }
    return update;
  }

  /**
   * Whether the topic holds a committed update of this registry for {@code version}: reads the
   * whole topic (read committed, to its last stable offsets), so an update in an open or aborted
   * transaction does not count.
   */
  public boolean published(String version) throws IOException {
    try {
      return ModelUpdatesFeed.readAll(kafka, topic, registryName, Duration.ofSeconds(60)).stream()
          .anyMatch(e -> e.version().equals(version));
    } catch (KafkaException e) {
      throw new IOException(
          "Cannot read "
              + topic
              + " to see whether "
              + version
              + " was announced: "
              + e.getMessage(),
          e);
    }
  }

  /** Sends one update, keyed as {@link ModelUpdateKeys} says, and waits for its acknowledgement. */
  public void send(ModelUpdate update) throws IOException {
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      byte[] key = ModelUpdateKeys.of(registryName, update).getBytes(StandardCharsets.UTF_8);
      producer
          .send(new ProducerRecord<>(topic, key, AvroCodec.of(ModelUpdate.class).encode(update)))
          .get();
    } catch (ExecutionException e) {
      throw new IOException(
          "Cannot send the model update to " + topic + ": " + e.getCause().getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while sending the model update", e);
    }
  }
}
