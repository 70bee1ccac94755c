package io.twinstream.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a whole topic once, from the beginning to the end offsets it has when the read starts,
 * without a consumer group. Read committed: the end of a partition is its last stable offset, so
 * records of open or aborted transactions are never returned and never waited for.
 */
public final class TopicReader {

  private TopicReader() {}

  /**
   * Every committed record of {@code topic} up to its current end.
   *
   * @param kafka client configuration ({@code bootstrap.servers} and any security settings)
   * @throws KafkaException when the end is not reached within {@code timeout}
   */
  public static List<ConsumerRecord<byte[], byte[]>> readCommitted(
      Map<String, Object> kafka, String topic, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    forEachCommitted(kafka, topic, timeout, out::add);
    return out;
  }

  /**
   * Hands every committed record of {@code topic} up to its current end to {@code each}, in each
   * partition's order, without keeping them.
   *
   * @throws KafkaException when the end is not reached within {@code timeout}
   */
  public static void forEachCommitted(
      Map<String, Object> kafka,
      String topic,
      Duration timeout,
      Consumer<ConsumerRecord<byte[], byte[]>> each) {
    Map<String, Object> config = new HashMap<>(kafka);
    config.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    try (KafkaConsumer<byte[], byte[]> consumer = committedConsumer(config)) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, timeout).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new KafkaException(
              "could not read " + topic + " to its end offsets " + end + " within " + timeout);
        }
        consumer.poll(Duration.ofMillis(200)).forEach(each);
      }
    }
  }

  /**
   * A consumer of raw bytes that reads committed records only, commits no offsets and belongs to no
   * group (every reader reads the whole topic): how Twinstream reads its control topics.
   */
  static KafkaConsumer<byte[], byte[]> committedConsumer(Map<String, Object> kafka) {
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
