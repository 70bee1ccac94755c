package io.twinstream.streamtrainer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.junit.jupiter.api.Test;

class TrainerOptionsDocTest {

  @Test
  void everyTrainerOptionIsDocumentedWithItsDefault() throws Exception {
    Path doc = Path.of("../docs/continuous-learning.md"); // tests run in the module's directory
    String text = Files.readString(doc);
    for (ConfigOption<?> option : TrainerOptions.all()) {
      String row = "| `" + option.key() + "` | ";
      int at = text.indexOf(row);
      assertTrue(at >= 0, option.key() + " is not in " + doc);
      String cell = text.substring(at + row.length(), text.indexOf('|', at + row.length())).trim();
      Object d = option.defaultValue();
      String expected =
          d == null || d.toString().isEmpty()
              ? "(none)"
              : d instanceof Duration duration ? "`" + words(duration) + "`" : "`" + d + "`";
      assertTrue(
          cell.equals(expected), option.key() + ": documented " + cell + ", default " + expected);
    }
  }

  /** A duration as the docs write it: {@code 10 min}, {@code 10 s}, {@code 250 ms}. */
  private static String words(Duration d) {
    if (d.toMillis() % 60_000 == 0) {
      return d.toMinutes() + " min";
    }
    return d.toMillis() % 1_000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
