package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Every option of {@code twinstream serve} is in docs/serve.md's table with its default. */
class ServeCommandDocTest {

  @Test
  void everyServeOptionIsDocumentedWithItsDefault() throws Exception {
    String doc = Files.readString(Path.of("../docs/serve.md"));
    CommandLine serve = TwinstreamCli.commandLine().getSubcommands().get("serve");
    int checked = 0;
    for (OptionSpec o : serve.getCommandSpec().options()) {
      String name = o.longestName();
      if (o.usageHelp() || o.versionHelp() || name.equals("--progress")) {
        continue;
      }
      String row = "| `" + name + "` | ";
      int at = doc.indexOf(row);
      assertTrue(at >= 0, name + " is not in docs/serve.md");
      String cell = doc.substring(at + row.length(), doc.indexOf('|', at + row.length())).trim();
      String d = o.defaultValue();
      assertEquals(d == null ? "(none)" : "`" + d + "`", cell, name);
      checked++;
    }
    assertTrue(checked >= 20, checked + " options checked");
  }
}
