package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.ModelBundle;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCommandTest {

  @TempDir Path tmp;

  private Path exportFolder() throws Exception {
    ModelBundle builtin = ModelBundle.builtin("default");
    Path src = tmp.resolve("st-export");
    Files.createDirectories(src.resolve("1_Pooling"));
    Files.write(src.resolve("model.onnx"), bytes(builtin.modelBuffer()));
    Files.write(src.resolve("tokenizer.json"), bytes(builtin.tokenizerBuffer()));
    Files.writeString(
        src.resolve("1_Pooling/config.json"),
        "{\"word_embedding_dimension\": 384, \"pooling_mode_mean_tokens\": true}");
    Files.writeString(src.resolve("sentence_bert_config.json"), "{\"max_seq_length\": 128}");
    return src;
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] b = new byte[buffer.remaining()];
    buffer.get(b);
    return b;
  }

  @Test
  void importThenInspectShowsTheVerifiedBundle() throws Exception {
    Path dest = tmp.resolve("bundle");
    CliRun imported =
        CliRun.of(
            "model", "import", exportFolder().toString(), dest.toString(), "--version", "mini-1");
    assertEquals(0, imported.exitCode(), imported.err());
    assertTrue(
        imported
            .out()
            .contains(
                "imported mini-1 into " + dest + ": 384 dimensions, mean pooling, max 128 tokens"),
        imported.out());
    CliRun inspect = CliRun.of("model", "inspect", dest.toString());
    assertEquals(0, inspect.exitCode(), inspect.err());
    assertTrue(inspect.out().contains("version     mini-1"), inspect.out());
    assertTrue(inspect.out().contains("all SHA-256 verified"), inspect.out());
    CliRun json = CliRun.of("model", "inspect", "--json", dest.toString());
    assertTrue(json.out().contains("\"maxSequenceLength\" : 128"), json.out());
  }

  @Test
  void inspectOfADamagedBundleFailsNamingTheFile() throws Exception {
    Path dest = tmp.resolve("bundle");
    assertEquals(
        0, CliRun.of("model", "import", exportFolder().toString(), dest.toString()).exitCode());
    Files.writeString(dest.resolve("tokenizer.json"), "{}");
    CliRun inspect = CliRun.of("model", "inspect", dest.toString());
    assertEquals(1, inspect.exitCode());
    assertTrue(
        inspect.err().contains(dest.resolve("tokenizer.json") + ": SHA-256 mismatch"),
        inspect.err());
  }

  @Test
  void importOfAnIncompleteExportNamesTheMissingFile() throws Exception {
    Path src = exportFolder();
    Files.delete(src.resolve("sentence_bert_config.json"));
    CliRun run = CliRun.of("model", "import", src.toString(), tmp.resolve("b").toString());
    assertEquals(1, run.exitCode());
    assertTrue(run.err().contains("sentence_bert_config.json: file is missing"), run.err());
  }

  @Test
  void inspectOfTheBuiltinDefault() {
    CliRun run = CliRun.of("model", "inspect", "default");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("bundle      builtin:default"), run.out());
  }
}
