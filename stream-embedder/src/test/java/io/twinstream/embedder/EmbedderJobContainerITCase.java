package io.twinstream.embedder;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.twinstream.kafka.Topics;
import io.twinstream.records.Embedding;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.store.DockerEngine;
import io.twinstream.testkit.KafkaRecords;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The end-to-end test against Kafka in a container (the apache/kafka image of the project's Kafka
 * version). Skipped where no Docker engine runs, except in CI, where it must run ({@link
 * DockerEngine}); {@link EmbedderJobITCase} covers the same path with the in-JVM broker everywhere.
 */
@ExtendWith(DockerEngine.class)
@Testcontainers
class EmbedderJobContainerITCase {

  @Container
  static final KafkaContainer KAFKA =
      new KafkaContainer("apache/kafka:" + System.getProperty("kafka.version"));

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  @Test
  void sentencesInAContainerBrokerAreEmbeddedExactlyOnce() throws Exception {
    String bootstrap = KAFKA.getBootstrapServers();
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Topics.create(
          admin,
          Map.of("sentences", 2, "embeddings", 2, "dead-letters", 1),
          Map.of(),
          Duration.ofSeconds(30));
    }
    Map<String, String> input = new LinkedHashMap<>();
    for (int i = 0; i < 1_000; i++) {
      input.put("c-" + i, "Sentence number " + i + " travels through a containerised broker.");
    }
    KafkaRecords.produceSentences(bootstrap, "sentences", input);

    Configuration conf = new Configuration();
    conf.set(JobOptions.BOOTSTRAP_SERVERS, bootstrap);
    conf.set(JobOptions.START_POSITION, JobOptions.StartPosition.EARLIEST);
    conf.set(JobOptions.BOUNDED, true);
    conf.set(JobOptions.PARALLELISM, 2);
    conf.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
    conf.set(JobOptions.CHECKPOINT_ALLOW_IN_MEMORY, true); // one run, no restart
    conf.set(JobOptions.RESTART_ATTEMPTS, 0);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    JobEnvironment.configure(env, conf);
    EmbedderJob.build(env, conf);
    env.execute("container-it");

    AvroCodec<Embedding> codec = AvroCodec.of(Embedding.class);
    Set<String> ids = new HashSet<>();
    int count = 0;
    for (ConsumerRecord<byte[], byte[]> r : KafkaRecords.readCommitted(bootstrap, "embeddings")) {
      ids.add(codec.decode(r.value()).getId());
      count++;
    }
    assertEquals(1_000, count);
    assertEquals(input.keySet(), ids);
  }
}
