package io.twinstream.embedder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbedderOptionsTest {

  @TempDir
  Path tmp;

  @Test
  void argumentsReadAPropertiesFileAndLaterPairsWin() throws Exception {
    Path file = tmp.resolve("job.properties");
    Files.writeString(file, "batch.size = 16\nbootstrap.servers=kafka:9092\nkafka.security.protocol=SASL_SSL\n");
    Configuration conf = EmbedderJob.parseArguments("--properties", file.toString(), "batch.size=8",
        "batch.max-wait=5 ms");
    assertEquals(8, conf.get(EmbedderOptions.BATCH_SIZE));
    assertEquals("kafka:9092", conf.get(EmbedderOptions.BOOTSTRAP_SERVERS));
    assertEquals(Duration.ofMillis(5), conf.get(EmbedderOptions.BATCH_MAX_WAIT));
    assertEquals("SASL_SSL", EmbedderOptions.kafkaProperties(conf).getProperty("security.protocol"));
    assertEquals(EmbedderOptions.Guarantee.EXACTLY_ONCE, conf.get(EmbedderOptions.DELIVERY_GUARANTEE));
  }

  @Test
  void defaultsAreValid() {
    EmbedderOptions.validate(new Configuration());
  }

  @Test
  void invalidValuesNameTheOption() {
    Configuration conf = new Configuration();
    conf.set(EmbedderOptions.BATCH_SIZE, 0);
    assertEquals("Option batch.size must be at least 1, got 0",
        assertThrows(IllegalArgumentException.class, () -> EmbedderOptions.validate(conf)).getMessage());
    Configuration topics = new Configuration();
    topics.set(EmbedderOptions.EMBEDDINGS_TOPIC, " ");
    assertEquals("Option topic.embeddings must name a topic",
        assertThrows(IllegalArgumentException.class, () -> EmbedderOptions.validate(topics)).getMessage());
  }

  @Test
  void unknownArgumentIsRefused() {
    var e = assertThrows(IllegalArgumentException.class, () -> EmbedderJob.parseArguments("batch.size"));
    assertEquals("Unexpected argument 'batch.size': use --properties FILE or key=value", e.getMessage());
  }
}
