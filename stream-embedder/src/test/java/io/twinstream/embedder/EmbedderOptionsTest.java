package io.twinstream.embedder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Job arguments, validation, and the options table of docs/streaming.md against the options'
 * defaults.
 */
class EmbedderOptionsTest {

  @TempDir Path tmp;

  @Test
  void argumentsReadAPropertiesFileAndLaterPairsWin() throws Exception {
    Path file = tmp.resolve("job.properties");
    Files.writeString(
        file, "batch.size = 16\nbootstrap.servers=kafka:9092\nkafka.security.protocol=SASL_SSL\n");
    Configuration conf =
        JobArguments.parse("--properties", file.toString(), "batch.size=8", "batch.max-wait=5 ms");
    assertEquals(8, conf.get(EmbedderOptions.BATCH_SIZE));
    assertEquals("kafka:9092", conf.get(JobOptions.BOOTSTRAP_SERVERS));
    assertEquals(Duration.ofMillis(5), conf.get(EmbedderOptions.BATCH_MAX_WAIT));
    assertEquals("SASL_SSL", JobOptions.kafkaProperties(conf).getProperty("security.protocol"));
    assertEquals(JobOptions.Guarantee.EXACTLY_ONCE, conf.get(JobOptions.DELIVERY_GUARANTEE));
  }

  @Test
  void defaultsAreValid() {
    EmbedderOptions.validate(new Configuration());
  }

  @Test
  void invalidValuesNameTheOption() {
    Configuration conf = new Configuration();
    conf.set(EmbedderOptions.BATCH_SIZE, 0);
    assertEquals(
        "Option batch.size must be at least 1, got 0",
        assertThrows(IllegalArgumentException.class, () -> EmbedderOptions.validate(conf))
            .getMessage());
    Configuration topics = new Configuration();
    topics.set(EmbedderOptions.EMBEDDINGS_TOPIC, " ");
    assertEquals(
        "Option topic.embeddings must name a topic",
        assertThrows(IllegalArgumentException.class, () -> EmbedderOptions.validate(topics))
            .getMessage());
  }

  @Test
  void theEmbeddingJobJarRefusesTheTrainerItDoesNotCarry() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> EmbedderJob.main(new String[] {"trainer.enabled=true"}));
    assertTrue(e.getMessage().contains("twinstream-stream-trainer-*-job.jar"), e.getMessage());
  }

  @Test
  void everyJobAndEmbedderOptionIsInTheStreamingDocsTableWithItsDefault() throws Exception {
    String readme =
        Files.readString(Path.of("../docs/streaming.md")); // tests run in the module's directory
    for (ConfigOption<?> option :
        Stream.concat(JobOptions.all().stream(), EmbedderOptions.all().stream()).toList()) {
      String row = "| `" + option.key() + "` | ";
      int at = readme.indexOf(row);
      assertTrue(at >= 0, option.key() + " is not in the options table of docs/streaming.md");
      String line = readme.substring(at, readme.indexOf('\n', at));
      String[] cells = line.split("\\|");
      String documented = cells[3].trim();
      Object d = option.defaultValue();
      String expected =
          d.toString().isEmpty()
              ? "(empty)"
              : d instanceof Duration duration ? "`" + human(duration) + "`" : "`" + d + "`";
      assertEquals(expected, documented, option.key());
    }
  }

  private static String human(Duration d) {
    if (d.isZero()) {
      return "0";
    }
    if (d.toMillis() % 60_000 == 0) {
      return d.toMinutes() + " min";
    }
    if (d.toMillis() % 1_000 == 0) {
      return d.toSeconds() + " s";
    }
    return d.toMillis() + " ms";
  }

  @Test
  void unknownArgumentIsRefused() {
    var e = assertThrows(IllegalArgumentException.class, () -> JobArguments.parse("batch.size"));
    assertEquals(
        "Unexpected argument 'batch.size': use --properties FILE or key=value", e.getMessage());
  }
}
