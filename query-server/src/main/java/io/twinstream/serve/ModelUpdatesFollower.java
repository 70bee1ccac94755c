package io.twinstream.serve;

import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.ModelUpdateKeys;
import io.twinstream.schemas.RecordDecodeException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a registry's updates on the compacted {@code model-updates} topic, read committed from
 * its beginning (no consumer group: every server reads all of it), on a thread of its own: the
 * serving decisions and FULLY_SERVED announcements go to {@code sink}; every update's status is
 * kept per version for {@code /v1/models}.
 */
public final class ModelUpdatesFollower implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ModelUpdatesFollower.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final String registryName;
  private final Consumer<ModelUpdate> sink;
  private final Map<String, ModelStatus> statuses = new ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean closed;
  private volatile long read;

  public ModelUpdatesFollower(
      Map<String, Object> kafka, String topic, String registryName, Consumer<ModelUpdate> sink) {
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    this.consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.topic = topic;
    this.registryName = registryName;
    this.sink = sink;
    List<TopicPartition> partitions =
        consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    this.thread = new Thread(this::follow, "twinstream-serve-model-updates");
    thread.setDaemon(true);
    thread.start();
  }

  private void follow() {
    AvroCodec<ModelUpdate> codec = AvroCodec.of(ModelUpdate.class);
    try {
      while (!closed) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          read++;
          if (r.value() == null || !ModelUpdateKeys.belongsTo(r.key(), registryName)) {
            continue;
          }
          ModelUpdate u;
          try {
            u = codec.decode(r.value());
          } catch (RecordDecodeException e) {
            LOG.warn(
                "Skipping an undecodable update at {}@{}: {}", topic, r.offset(), e.getMessage());
            continue;
          }
          statuses.put(u.getVersion().toString(), u.getStatus());
          if (ModelUpdateKeys.isEmbedderKey(r.key(), registryName)) {
            sink.accept(u);
          }
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("Following {} stopped: {}", topic, e.toString(), e);
    } finally {
      consumer.close();
    }
  }

  /** The last status announced per version. */
  public Map<String, ModelStatus> statuses() {
    return Map.copyOf(statuses);
  }

  /** Records read so far. */
  public long read() {
    return read;
  }

  /** Whether it still follows the topic. */
  public boolean alive() {
    return thread.isAlive();
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
