package io.twinstream.kafka;

import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.RecordDecodeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the Avro records of a compacted control topic ({@code model-updates}, {@code
 * model-lifecycle}) for everything but a Flink job's own source: read committed (a record in an
 * open or aborted transaction is never seen), from the beginning, without a consumer group (every
 * reader reads all of it), each record decoded once. Records whose key {@code keys} does not take
 * and tombstones are skipped; undecodable ones are logged and skipped. Either {@link #readAll}
 * once, or {@link #follow} on a thread of its own.
 *
 * @param <T> the record type
 */
public final class RecordFeed<T extends SpecificRecord> implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RecordFeed.class);

  /**
   * One record, as read.
   *
   * @param key its record key
   * @param value the decoded record
   * @param offset where it lies on its partition (whose order is the order of the writes)
   */
  public record Entry<T>(String key, T value, long offset) {}

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final Predicate<String> keys;
  private final Consumer<Entry<T>> sink;
  private final List<TopicPartition> partitions;
  private final Map<TopicPartition, Long> startEnd;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final AvroCodec<T> codec;
  private final Thread thread;
  private volatile boolean closed;
  private volatile long read;

  private RecordFeed(
      Map<String, Object> kafka,
      String topic,
      Class<T> type,
      Predicate<String> keys,
      Consumer<Entry<T>> sink,
      boolean ownThread) {
    this.consumer = TopicReader.committedConsumer(kafka);
    this.topic = topic;
    this.keys = keys;
    this.sink = sink;
    this.codec = AvroCodec.of(type);
    this.partitions =
        consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    this.startEnd = consumer.endOffsets(partitions, Duration.ofSeconds(60));
    this.thread = ownThread ? new Thread(this::follow, "twinstream-feed-" + topic) : null;
  }

  /**
   * Follows {@code topic} on a thread of its own from its beginning: every record of {@code type}
   * whose key {@code keys} takes goes to {@code sink}, in topic order, on that thread.
   *
   * @param kafka client configuration ({@code bootstrap.servers} and any security settings); the
   *     topic must exist
   */
  public static <T extends SpecificRecord> RecordFeed<T> follow(
      Map<String, Object> kafka,
      String topic,
      Class<T> type,
      Predicate<String> keys,
      Consumer<Entry<T>> sink) {
    RecordFeed<T> feed = new RecordFeed<>(kafka, topic, type, keys, sink, true);
    feed.thread.setDaemon(true);
    feed.thread.start();
    return feed;
  }

  /**
   * Every record of {@code type} on {@code topic} now whose key {@code keys} takes, in topic order:
   * read to the end offsets it has when the read starts.
   *
   * @throws org.apache.kafka.common.KafkaException when the end is not reached within {@code
   *     timeout}
   */
  public static <T extends SpecificRecord> List<Entry<T>> readAll(
      Map<String, Object> kafka,
      String topic,
      Class<T> type,
      Predicate<String> keys,
      Duration timeout) {
    List<Entry<T>> out = new ArrayList<>();
    try (RecordFeed<T> feed = new RecordFeed<>(kafka, topic, type, keys, out::add, false)) {
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

  private boolean atStartEnd() {
    return partitions.stream().allMatch(p -> consumer.position(p) >= startEnd.get(p));
  }

  private void pollOnce() {
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
      read++;
      if (r.value() == null || r.key() == null) {
        continue;
      }
      String key = new String(r.key(), StandardCharsets.UTF_8);
      if (!keys.test(key)) {
        continue;
      }
      T value;
      try {
        value = codec.decode(r.value());
      } catch (RecordDecodeException e) {
        LOG.warn("Skipping an undecodable record at {}@{}: {}", topic, r.offset(), e.getMessage());
        continue;
      }
      sink.accept(new Entry<>(key, value, r.offset()));
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
   * Waits until every record on the topic when the feed started has gone to the sink.
   *
   * @return whether it has, within {@code timeout}
   */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Records read so far (whatever their key). */
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
