package io.twinstream.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.kafka.TopicReader;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test kit and the Kafka I/O it builds on, against a real broker in this JVM: tails that wait
 * on Kafka's poll, reads to the end offsets that neither see nor wait for an open transaction, and
 * model-update announcements found only once they are committed.
 */
class KafkaKitITCase {

  private static EmbeddedKafka kafka;

  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  private static Map<String, Object> client() {
    return Map.of("bootstrap.servers", kafka.bootstrapServers());
  }

  @Test
  void aTailReturnsAsSoonAsTheAwaitedRecordsAreThere() throws Exception {
    kafka.createTopics(Map.of("tail-1", 2), Map.of());
    try (TopicTail tail = new TopicTail(kafka.bootstrapServers(), "tail-1")) {
      KafkaRecords.produceSentences(
          kafka.bootstrapServers(), "tail-1", Map.of("a", "one", "b", "two", "c", "three"));
      List<Sentence> got =
          tail.await(Sentence.class, Duration.ofSeconds(30), all -> all.size() == 3);
      assertEquals(3, got.size());
      assertEquals(0, tail.readToEnd(), "nothing more");
      KafkaRecords.produceSentences(kafka.bootstrapServers(), "tail-1", Map.of("d", "four"));
      assertEquals(1, tail.readToEnd());
      assertEquals("four", tail.decoded(Sentence.class).get(3).getText());
    }
  }

  @Test
  void readsToTheEndNeitherSeeNorWaitForAnOpenTransaction() throws Exception {
    kafka.createTopics(Map.of("txn-1", 1), Map.of());
    byte[] value =
        AvroCodec.of(Sentence.class)
            .encode(
                Sentence.newBuilder()
                    .setId("t")
                    .setText("in a transaction")
                    .setEventTime(Instant.EPOCH)
                    .build());
    try (KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(
                Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    kafka.bootstrapServers(),
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                    "kit-test"),
                new ByteArraySerializer(),
                new ByteArraySerializer());
        TopicTail tail = new TopicTail(kafka.bootstrapServers(), "txn-1")) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>("txn-1", value)).get();
      assertEquals(0, tail.readToEnd(Duration.ofSeconds(10)), "uncommitted: not there yet");
      assertTrue(TopicReader.readCommitted(client(), "txn-1", Duration.ofSeconds(10)).isEmpty());
      producer.commitTransaction(); // the commit marker reaches the partition a moment later
      assertEquals(
          1, tail.await(Sentence.class, Duration.ofSeconds(30), all -> all.size() == 1).size());
      producer.beginTransaction();
      producer.send(new ProducerRecord<>("txn-1", value)).get();
      producer.abortTransaction();
      KafkaRecords.produceSentences(
          kafka.bootstrapServers(), "txn-1", Map.of("after", "after the abort"));
      List<Sentence> all =
          tail.await(
              Sentence.class,
              Duration.ofSeconds(30),
              list -> list.stream().anyMatch(x -> x.getId().equals("after")));
      assertEquals(
          List.of("t", "after"),
          all.stream().map(Sentence::getId).toList(),
          "the aborted record never");
      assertEquals(2, TopicReader.readCommitted(client(), "txn-1", Duration.ofSeconds(10)).size());
    }
  }

  @Test
  void anAnnouncementCountsAsPublishedForItsOwnRegistryOnly() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    registry.publish(ModelBundle.builtin(ModelBundle.DEFAULT_INT8).withVersion("v1", null));
    registry.publish(ModelBundle.builtin(ModelBundle.DEFAULT_INT8).withVersion("v2", null));
    KafkaModelUpdates ours =
        new KafkaModelUpdates(registry, "ours", client(), "updates-1").ensureTopic();
    KafkaModelUpdates theirs = new KafkaModelUpdates(registry, "theirs", client(), "updates-1");
    assertFalse(ours.published("v1"));
    ModelUpdate promoted = ours.promote("v1", "test");
    assertEquals(ModelStatus.PROMOTED, promoted.getStatus());
    assertEquals("v1", registry.current().orElseThrow(), "promote makes the version current");
    theirs.send(ModelUpdate.newBuilder(promoted).setVersion("v2").build());
    ours.send(
        ModelUpdate.newBuilder(promoted).setVersion("v2").setStatus(ModelStatus.REJECTED).build());

    assertTrue(ours.published("v1"));
    assertTrue(ours.published("v2"), "its REJECTED, keyed ours/v2");
    assertFalse(theirs.published("v1"));
    List<String> keys =
        TopicReader.readCommitted(client(), "updates-1", Duration.ofSeconds(10)).stream()
            .map(r -> new String(r.key()))
            .toList();
    assertEquals(List.of("ours", "theirs", "ours/v2"), keys);
  }
}
