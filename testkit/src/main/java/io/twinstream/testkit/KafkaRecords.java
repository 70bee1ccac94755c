package io.twinstream.testkit;

import io.twinstream.kafka.TopicReader;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.RecordDecodeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Producing and reading topics in tests and harnesses, checking every send so that a lost record
 * fails loudly.
 */
public final class KafkaRecords {

  private KafkaRecords() {}

  public static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
            ProducerConfig.LINGER_MS_CONFIG, "5"),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  /** Produces sentences {@code id -> text}, keyed by id, and waits for every acknowledgement. */
  public static void produceSentences(String bootstrap, String topic, Map<String, String> texts)
      throws Exception {
    AvroCodec<Sentence> codec = AvroCodec.of(Sentence.class);
    try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
      List<Future<RecordMetadata>> sends = new ArrayList<>();
      for (Map.Entry<String, String> e : texts.entrySet()) {
        Sentence s =
            Sentence.newBuilder()
                .setId(e.getKey())
                .setText(e.getValue())
                .setEventTime(Instant.now())
                .setAttributes(Map.of("source", "test"))
                .build();
        sends.add(
            producer.send(
                new ProducerRecord<>(
                    topic, e.getKey().getBytes(StandardCharsets.UTF_8), codec.encode(s))));
      }
      for (Future<RecordMetadata> f : sends) {
        f.get();
      }
    }
  }

  /** Produces raw bytes (for malformed input) and waits for the acknowledgement. */
  public static void produceRaw(String bootstrap, String topic, byte[] key, byte[] value)
      throws ExecutionException, InterruptedException {
    try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    }
  }

  /**
   * Reads every committed record of {@code topic} up to its current end (read_committed), from the
   * beginning.
   */
  public static List<ConsumerRecord<byte[], byte[]>> readCommitted(String bootstrap, String topic) {
    return TopicReader.readCommitted(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), topic, Duration.ofSeconds(60));
  }

  /**
   * Every committed record of {@code topic}, decoded as {@code type}; tombstones (null values, such
   * as the lifecycle journal's owner markers) are left out.
   */
  public static <T extends SpecificRecord> List<T> readCommitted(
      String bootstrap, String topic, Class<T> type) throws RecordDecodeException {
    AvroCodec<T> codec = AvroCodec.of(type);
    List<T> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : readCommitted(bootstrap, topic)) {
      if (r.value() == null) {
        continue;
      }
      out.add(codec.decode(r.value()));
    }
    return out;
  }

  /** Produces Avro records keyed by {@code key}, and waits for every acknowledgement. */
  public static <T extends SpecificRecord> void produce(
      String bootstrap, String topic, List<T> records, Function<T, String> key) throws Exception {
    if (records.isEmpty()) {
      return;
    }
    @SuppressWarnings("unchecked")
    AvroCodec<T> codec = AvroCodec.of((Class<T>) records.get(0).getClass());
    try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
      List<Future<RecordMetadata>> sends = new ArrayList<>();
      for (T r : records) {
        String k = key.apply(r);
        sends.add(
            producer.send(
                new ProducerRecord<>(
                    topic,
                    k == null ? null : k.getBytes(StandardCharsets.UTF_8),
                    codec.encode(r))));
      }
      for (Future<RecordMetadata> f : sends) {
        f.get();
      }
    }
  }
}
