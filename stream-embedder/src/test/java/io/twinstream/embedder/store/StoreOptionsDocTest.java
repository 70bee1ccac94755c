package io.twinstream.embedder.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/**
 * Every store option is in docs/vector-store.md with its default; bad settings say what is wrong.
 */
class StoreOptionsDocTest {

  private static String rendered(ConfigOption<?> o) {
    if (!o.hasDefaultValue()) {
      return o == StoreOptions.LOCATION ? "(required)" : "(none)";
    }
    Object d = o.defaultValue();
    if (d instanceof Duration duration) {
      return "`" + duration.toSeconds() + " s`";
    }
    return "`" + d + "`";
  }

  @Test
  void everyStoreOptionIsDocumentedWithItsDefault() throws Exception {
    String text = Files.readString(Path.of("../docs/vector-store.md"));
    for (ConfigOption<?> o : StoreOptions.ALL) {
      String row = "| `" + o.key() + "` | ";
      int at = text.indexOf(row);
      assertTrue(at >= 0, o.key() + " is not in docs/vector-store.md");
      String cell = text.substring(at + row.length(), text.indexOf('|', at + row.length())).trim();
      assertEquals(rendered(o), cell, o.key());
    }
  }

  @Test
  void aStoreWithoutALocationOrOfAnUnknownKindIsRefusedSayingWhy() {
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> StoreOptions.spec(new Configuration()));
    assertTrue(missing.getMessage().contains("store.location"), missing.getMessage());
    Configuration conf = new Configuration();
    conf.set(StoreOptions.LOCATION, "/tmp/x");
    conf.set(StoreOptions.KIND, "faiss");
    IllegalArgumentException kind =
        assertThrows(IllegalArgumentException.class, () -> StoreOptions.spec(conf));
    assertTrue(kind.getMessage().contains("faiss"), kind.getMessage());
    conf.set(StoreOptions.KIND, "pgvector");
    IllegalArgumentException url =
        assertThrows(IllegalArgumentException.class, () -> StoreOptions.spec(conf));
    assertTrue(url.getMessage().contains("jdbc:postgresql"), url.getMessage());
  }
}
