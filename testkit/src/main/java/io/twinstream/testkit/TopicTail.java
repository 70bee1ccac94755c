package io.twinstream.testkit;

import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.RecordDecodeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Everything committed on one topic, read from the beginning as it arrives: read committed, no
 * consumer group, the partitions it has when the tail opens. Waiting is done by Kafka's own long
 * poll, never by sleeping: {@link #await} returns as soon as the records that arrived satisfy a
 * condition, and {@link #readToEnd()} proves an absence by reading up to the end offsets (the last
 * stable offsets) instead of waiting a while and hoping nothing is late. Not thread-safe.
 */
public final class TopicTail implements AutoCloseable {

  /**
   * Checked between two polls of {@link #await}; throws to stop waiting (for example: the job
   * failed).
   */
  @FunctionalInterface
  public interface Guard {
    void check() throws Exception;
  }

  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final List<TopicPartition> partitions;
  private final List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
  private final List<Object> decoded = new ArrayList<>();
  private Class<?> decodedType;

  /** A tail of {@code topic} on the cluster at {@code bootstrap}. */
  public TopicTail(String bootstrap, String topic) {
    this(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), topic);
  }

  /** A tail of {@code topic} with these client settings ({@code bootstrap.servers}, security). */
  public TopicTail(Map<String, Object> kafka, String topic) {
    this.topic = topic;
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    partitions =
        consumer.partitionsFor(topic).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** The topic. */
  public String topic() {
    return topic;
  }

  /** Polls once, waiting up to {@code timeout} for records; returns the new ones. */
  public List<ConsumerRecord<byte[], byte[]>> poll(Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> fresh = new ArrayList<>();
    consumer.poll(timeout).forEach(fresh::add);
    all.addAll(fresh);
    return fresh;
  }

  /** Every record read so far, in order per partition. */
  public List<ConsumerRecord<byte[], byte[]>> records() {
    return Collections.unmodifiableList(all);
  }

  /**
   * Reads up to the end offsets the topic has now: afterwards {@link #records()} holds everything
   * committed before this call. With read committed, the end of a partition is its last stable
   * offset.
   *
   * @return how many records this call read
   */
  public int readToEnd(Duration timeout) {
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
    long deadline = System.nanoTime() + timeout.toNanos();
    int before = all.size();
    while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "could not read " + topic + " to its end offsets " + end + " within " + timeout);
      }
      poll(Duration.ofMillis(200));
    }
    return all.size() - before;
  }

  /** {@link #readToEnd(Duration)} within 60 s. */
  public int readToEnd() {
    return readToEnd(Duration.ofSeconds(60));
  }

  /**
   * Every record read so far, decoded as {@code type} (each one once: a tail carries one record
   * type).
   *
   * @throws IllegalStateException when a record is not a {@code type}, naming its position
   */
  @SuppressWarnings("unchecked")
  public <T extends SpecificRecord> List<T> decoded(Class<T> type) {
    if (decodedType != null && decodedType != type) {
      throw new IllegalArgumentException(
          topic + " was decoded as " + decodedType.getSimpleName() + " already");
    }
    decodedType = type;
    AvroCodec<T> codec = AvroCodec.of(type);
    for (int i = decoded.size(); i < all.size(); i++) {
      ConsumerRecord<byte[], byte[]> r = all.get(i);
      try {
        decoded.add(codec.decode(r.value()));
      } catch (RecordDecodeException e) {
        throw new IllegalStateException(
            topic + "-" + r.partition() + "@" + r.offset() + ": " + e.getMessage(), e);
      }
    }
    return (List<T>) (List<?>) Collections.unmodifiableList(decoded);
  }

  /**
   * Polls until the records read so far, decoded as {@code type}, satisfy {@code done}.
   *
   * @param guard checked after every poll; its exception ends the wait (e.g. the job ended)
   * @return every record read so far, decoded
   * @throws IllegalStateException when {@code timeout} passes first
   */
  public <T extends SpecificRecord> List<T> await(
      Class<T> type, Duration timeout, Predicate<List<T>> done, Guard guard) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<T> records = decoded(type);
      if (done.test(records)) {
        return records;
      }
      guard.check();
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            topic
                + ": the awaited records did not arrive within "
                + timeout
                + " ("
                + records.size()
                + " records read)");
      }
      poll(Duration.ofMillis(200));
    }
  }

  /** {@link #await(Class, Duration, Predicate, Guard)} without a guard. */
  public <T extends SpecificRecord> List<T> await(
      Class<T> type, Duration timeout, Predicate<List<T>> done) throws Exception {
    return await(type, timeout, done, () -> {});
  }

  @Override
  public void close() {
    consumer.close();
  }
}
