package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.records.FeedbackPair;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.testkit.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProduceFeedbackIT {

  @TempDir Path tmp;

  @Test
  void feedbackLinesBecomeFeedbackPairsAndBadLinesAreNamed() throws Exception {
    Path in = tmp.resolve("feedback.jsonl");
    Files.writeString(
        in,
        """
        {"anchor": "vostrel on checkout", "candidate": "Checkout service: the pool is exhausted.", "label": 1, "source": "click", "anchorId": "q1", "eventTime": 1700000000000}
        {"anchor": "vostrel on checkout", "candidate": "Checkout service: the disk is full.", "label": 0}
        {"anchor": "vostrel on checkout", "candidate": "x", "label": 2}
        """);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(Map.of("feedback-pairs", 1), Map.of());
      CliRun run =
          CliRun.of(
              "produce", "--bootstrap", kafka.bootstrapServers(), "--feedback", in.toString());
      assertEquals(2, run.exitCode(), run.err());
      assertTrue(
          run.err().contains("feedback.jsonl:3: rejected: label 2.0 is outside [0, 1]"), run.err());
      assertTrue(
          run.err().contains("2 feedback pairs produced to feedback-pairs, 1 rejected"), run.err());

      List<ConsumerRecord<byte[], byte[]>> records = read(kafka.bootstrapServers(), 2);
      AvroCodec<FeedbackPair> codec = AvroCodec.of(FeedbackPair.class);
      FeedbackPair click = codec.decode(records.get(0).value());
      assertEquals("q1", new String(records.get(0).key(), StandardCharsets.UTF_8));
      assertEquals(1f, click.getLabel());
      assertEquals("click", click.getSource());
      assertEquals(Instant.ofEpochMilli(1700000000000L), click.getEventTime());
      FeedbackPair skip = codec.decode(records.get(1).value());
      assertEquals("vostrel on checkout", new String(records.get(1).key(), StandardCharsets.UTF_8));
      assertEquals(0f, skip.getLabel());
      assertEquals("unknown", skip.getSource());
      assertNull(skip.getAnchorId());
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> read(String bootstrap, int n) {
    Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition p = new TopicPartition("feedback-pairs", 0);
      consumer.assign(List.of(p));
      consumer.seekToBeginning(List.of(p));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < n && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }
}
