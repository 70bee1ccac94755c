package io.twinstream.embedder;

import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Producing and reading topics in tests, checking every send so that a lost record fails loudly. */
final class KafkaRecords {

  private KafkaRecords() {}

  static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
        ProducerConfig.LINGER_MS_CONFIG, "5"),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Produces sentences {@code id -> text}, keyed by id, and waits for every acknowledgement. */
  static void produceSentences(String bootstrap, String topic, Map<String, String> texts) throws Exception {
    AvroCodec<Sentence> codec = AvroCodec.of(Sentence.class);
    try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
      List<Future<RecordMetadata>> sends = new ArrayList<>();
      for (Map.Entry<String, String> e : texts.entrySet()) {
        Sentence s = Sentence.newBuilder().setId(e.getKey()).setText(e.getValue()).setEventTime(Instant.now())
            .setAttributes(Map.of("source", "test")).build();
        sends.add(producer.send(new ProducerRecord<>(topic, e.getKey().getBytes(StandardCharsets.UTF_8),
            codec.encode(s))));
      }
      for (Future<RecordMetadata> f : sends) {
        f.get();
      }
    }
  }

  /** Produces raw bytes (for malformed input) and waits for the acknowledgement. */
  static void produceRaw(String bootstrap, String topic, byte[] key, byte[] value)
      throws ExecutionException, InterruptedException {
    try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    }
  }

  /**
   * Reads every committed record of {@code topic} up to its current end (read_committed), from the
   * beginning.
   */
  static List<ConsumerRecord<byte[], byte[]>> readCommitted(String bootstrap, String topic) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("could not read " + topic + " to its end offsets " + end);
        }
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }
}
