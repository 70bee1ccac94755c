package io.twinstream.joiner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JoinerOptionsDocTest {

  @Test
  void everyJoinerOptionIsDocumentedWithItsDefault() throws Exception {
    Path doc = Path.of("../docs/feedback-joiner.md"); // tests run in the module's directory
    String text = Files.readString(doc);
    List<JoinerConfig.Option> all = new ArrayList<>(JoinerConfig.OPTIONS);
    all.addAll(JoinerArguments.RUNTIME_OPTIONS);
    for (JoinerConfig.Option o : all) {
      String row = "| `" + o.name() + "` | ";
      int at = text.indexOf(row);
      assertTrue(at >= 0, o.name() + " is not in " + doc);
      String cell = text.substring(at + row.length(), text.indexOf('|', at + row.length())).trim();
      if (o.name().equals("--state-dir")) {
        assertEquals("`$TMPDIR/twinstream-joiner`", cell);
      } else if (o.defaultValue().startsWith("(")) {
        assertEquals(o.defaultValue(), cell, o.name());
      } else {
        assertEquals("`" + o.defaultValue() + "`", cell, o.name());
      }
    }
  }

  @Test
  void theDefaultsParseToTheDefaultConfiguration() {
    JoinerArguments a = JoinerArguments.parse("--bootstrap", "localhost:9092");
    assertEquals(JoinerConfig.defaults(), a.config());
    assertEquals("twinstream-joiner", a.applicationId());
    assertEquals(9404, a.metricsPort());
  }

  @Test
  void aKafkaConfigFileReachesTheJoinersClients(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n");
    JoinerArguments a =
        JoinerArguments.parse("--bootstrap", "x:1", "--kafka-config", file.toString());
    assertEquals("SASL_SSL", FeedbackJoiner.properties(a).get("security.protocol"));
    assertEquals("PLAIN", FeedbackJoiner.properties(a).get("sasl.mechanism"));
    assertEquals("x:1", FeedbackJoiner.properties(a).get("bootstrap.servers"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                JoinerArguments.parse(
                    "--bootstrap", "x:1", "--kafka-config", dir.resolve("none").toString()));
    assertTrue(e.getMessage().startsWith("option --kafka-config: cannot read "), e.getMessage());
  }

  @Test
  void badOptionsAreNamed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> JoinerArguments.parse("--bootstrap", "x:1", "--grace", "soon"));
    assertEquals(
        "option --grace must be a duration such as 30s, 5m or PT1H, got 'soon'", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> JoinerArguments.parse("--grace", "1m"));
    assertEquals("option --bootstrap is required", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> JoinerArguments.parse("--bootstrap", "x:1", "--propensity-eta", "-1"));
    assertEquals("--propensity-eta must be >= 0, got -1.0", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> JoinerArguments.parse("--bootstrap", "x:1", "--idle-advance", "1s"));
    assertTrue(
        e.getMessage().startsWith("--idle-advance must be 0 or at least PT5S"), e.getMessage());
  }
}
