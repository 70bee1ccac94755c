package io.twinstream.kafka;

import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.ModelUpdateKeys;
import io.twinstream.schemas.RecordDecodeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
 * The one reader of a registry's updates on the compacted {@code model-updates} topic for
 * everything but the Flink job's own source: read committed (an update in an open or aborted
 * transaction is never seen), from the beginning, without a consumer group (every reader reads all
 * of it), each record decoded once. Records of other registries are skipped; undecodable ones are
 * logged and skipped. Either {@link #readAll} once, or {@link #follow} on a thread of its own.
 */
public final class ModelUpdatesFeed implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ModelUpdatesFeed.class);

  /**
   * One update of the registry, as read.
   *
   * @param key its record key ({@link ModelUpdateKeys})
   * @param update the decoded update
   * @param offset where it lies on the topic (its partition's order is the order of decisions)
   */
  public record Entry(String key, ModelUpdate update, long offset) {

    /** A serving decision: PROMOTED or ROLLED_BACK. */
    public boolean servingDecision() {
      return update.getStatus() == ModelStatus.PROMOTED
          || update.getStatus() == ModelStatus.ROLLED_BACK;
    }

    /** A FULLY_SERVED announcement. */
    public boolean fullyServed() {
      return update.getStatus() == ModelStatus.FULLY_SERVED;
    }

    /** The version it is about. */
    public String version() {
      return update.getVersion().toString();
    }
  }

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final String registryName;
  private final Consumer<Entry> sink;
  private final List<TopicPartition> partitions;
  private final Map<TopicPartition, Long> startEnd;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final AvroCodec<ModelUpdate> codec = AvroCodec.of(ModelUpdate.class);
  private final Thread thread;
  private volatile boolean closed;
  private volatile long read;

  private ModelUpdatesFeed(
      Map<String, Object> kafka,
      String topic,
      String registryName,
      Consumer<Entry> sink,
      boolean ownThread) {
    this.consumer = consumer(kafka);
    this.topic = topic;
    this.registryName = registryName;
    this.sink = sink;
    this.partitions =
        consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    this.startEnd = consumer.endOffsets(partitions, Duration.ofSeconds(60));
    this.thread = ownThread ? new Thread(this::follow, "twinstream-model-updates") : null;
  }

  /**
   * Follows {@code topic} on a thread of its own from its beginning: every update of {@code
   * registryName} goes to {@code sink}, in topic order, on that thread.
   *
   * @param kafka client configuration ({@code bootstrap.servers} and any security settings)
   */
  public static ModelUpdatesFeed follow(
      Map<String, Object> kafka, String topic, String registryName, Consumer<Entry> sink) {
    ModelUpdatesFeed feed = new ModelUpdatesFeed(kafka, topic, registryName, sink, true);
    feed.thread.setDaemon(true);
    feed.thread.start();
    return feed;
  }

  /**
   * Every update of {@code registryName} on {@code topic} now, in topic order: read to the end
   * offsets it has when the read starts.
   *
   * @throws org.apache.kafka.common.KafkaException when the end is not reached within {@code
   *     timeout}
   */
  public static List<Entry> readAll(
      Map<String, Object> kafka, String topic, String registryName, Duration timeout) {
    List<Entry> out = new ArrayList<>();
    try (ModelUpdatesFeed feed =
        new ModelUpdatesFeed(kafka, topic, registryName, out::add, false)) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!feed.atStartEnd()) {
        if (System.nanoTime() > deadline) {
          throw new org.apache.kafka.common.KafkaException(
              "could not read " + topic + " to its end offsets within " + timeout);
        }
        feed.pollOnce();
      }
    }
    return out;
  }

  private static KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> kafka) {
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private boolean atStartEnd() {
    return partitions.stream().allMatch(p -> consumer.position(p) >= startEnd.get(p));
  }

  private void pollOnce() {
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
      read++;
      if (r.value() == null || !ModelUpdateKeys.belongsTo(r.key(), registryName)) {
        continue;
      }
      ModelUpdate u;
      try {
        u = codec.decode(r.value());
      } catch (RecordDecodeException e) {
        LOG.warn("Skipping an undecodable update at {}@{}: {}", topic, r.offset(), e.getMessage());
        continue;
      }
      sink.accept(new Entry(new String(r.key(), StandardCharsets.UTF_8), u, r.offset()));
    }
  }

  private void follow() {
    try {
      while (!closed) {
        pollOnce();
        if (caughtUp.getCount() > 0 && atStartEnd()) {
          caughtUp.countDown();
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

  /**
   * Waits until every update on the topic when the feed started has gone to the sink.
   *
   * @return whether it has, within {@code timeout}
   */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Records read so far (of every registry). */
  public long read() {
    return read;
  }

  /** Whether it still follows the topic. */
  public boolean alive() {
    return thread != null && thread.isAlive();
  }

  @Override
  public void close() {
    closed = true;
    if (thread == null) {
      consumer.close();
      return;
    }
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
