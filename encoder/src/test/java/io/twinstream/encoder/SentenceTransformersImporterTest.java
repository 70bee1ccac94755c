package io.twinstream.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.InvalidBundleException.Problem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Imports a sentence-transformers export folder laid out from the built-in model's files. */
class SentenceTransformersImporterTest {

  private static ModelBundle builtin;

  @TempDir Path tmp;

  @BeforeAll
  static void load() throws Exception {
    builtin = ModelBundle.builtin(ModelBundle.DEFAULT);
  }

  private Path exportFolder(String pooling, int dimension) throws Exception {
    Path src = tmp.resolve("all-MiniLM-L6-v2-export");
    Files.createDirectories(src.resolve("onnx"));
    Files.createDirectories(src.resolve("1_Pooling"));
    Files.write(src.resolve("onnx/model.onnx"), builtin.modelBytes());
    Files.write(src.resolve("tokenizer.json"), builtin.tokenizerBytes());
    Files.writeString(
        src.resolve("1_Pooling/config.json"),
        """
        {"word_embedding_dimension": %d, "pooling_mode_cls_token": %b, "pooling_mode_mean_tokens": %b,
         "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false}"""
            .formatted(dimension, pooling.equals("cls"), pooling.equals("mean")));
    Files.writeString(
        src.resolve("sentence_bert_config.json"),
        "{\"max_seq_length\": 256, \"do_lower_case\": false}");
    Files.writeString(
        src.resolve("modules.json"),
        """
        [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
         {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
         {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]""");
    return src;
  }

  @Test
  void importedExportServesTheSameVectorsAsTheBuiltinBundle() throws Exception {
    Path dest = tmp.resolve("bundle");
    ModelBundle imported =
        new SentenceTransformersImporter().importTo(exportFolder("mean", 384), dest, "minilm-1");
    assertEquals("minilm-1", imported.version());
    ModelBundle loaded = ModelBundle.load(dest);
    assertEquals(PoolingMode.MEAN, loaded.manifest().pooling());
    assertEquals(256, loaded.manifest().maxSequenceLength());
    assertTrue(loaded.manifest().normalize());
    List<String> texts = List.of("The cat sat on the mat.", "Streams never end.");
    try (SentenceEncoder a = SentenceEncoder.open(builtin);
        SentenceEncoder b = SentenceEncoder.open(loaded)) {
      float[][] va = a.embed(texts);
      float[][] vb = b.embed(texts);
      for (int i = 0; i < texts.size(); i++) {
        assertEquals(0f, TestTexts.maxAbsDiff(va[i], vb[i]));
      }
    }
  }

  @Test
  void versionDefaultsToTheFolderName() throws Exception {
    assertEquals(
        "all-MiniLM-L6-v2-export",
        new SentenceTransformersImporter().read(exportFolder("cls", 384), null).version());
  }

  @Test
  void modelAtTheFolderRootIsFoundToo() throws Exception {
    Path src = exportFolder("mean", 384);
    Files.move(src.resolve("onnx/model.onnx"), src.resolve("model.onnx"));
    assertEquals(
        PoolingMode.MEAN, new SentenceTransformersImporter().read(src, "v").manifest().pooling());
  }

  @Test
  void missingPoolingConfigIsNamed() throws Exception {
    Path src = exportFolder("mean", 384);
    Files.delete(src.resolve("1_Pooling/config.json"));
    var e =
        assertThrows(
            InvalidBundleException.class, () -> new SentenceTransformersImporter().read(src, "v"));
    assertEquals(Problem.MISSING_FILE, e.problem());
    assertEquals(src.resolve("1_Pooling/config.json").toString(), e.file());
  }

  @Test
  void missingModelNamesBothPlacesLookedAt() throws Exception {
    Path src = exportFolder("mean", 384);
    Files.delete(src.resolve("onnx/model.onnx"));
    var e =
        assertThrows(
            InvalidBundleException.class, () -> new SentenceTransformersImporter().read(src, "v"));
    assertEquals(Problem.MISSING_FILE, e.problem());
    assertTrue(
        e.getMessage().contains("looked for onnx/model.onnx and model.onnx"), e.getMessage());
  }

  @Test
  void dimensionThatDisagreesWithTheModelIsRefusedAndNothingIsWritten() throws Exception {
    Path dest = tmp.resolve("never");
    var e =
        assertThrows(
            InvalidBundleException.class,
            () ->
                new SentenceTransformersImporter().importTo(exportFolder("mean", 768), dest, "v"));
    assertEquals(Problem.INVALID_MODEL, e.problem());
    assertTrue(e.file().endsWith("1_Pooling/config.json"), e.file());
    assertFalse(Files.exists(dest));
  }

  @Test
  void noPoolingModeSetIsMalformed() throws Exception {
    Path src = exportFolder("none", 384);
    var e =
        assertThrows(
            InvalidBundleException.class, () -> new SentenceTransformersImporter().read(src, "v"));
    assertEquals(Problem.MALFORMED_MANIFEST, e.problem());
    assertTrue(e.getMessage().contains("exactly one of"), e.getMessage());
  }

  @Test
  void corruptOnnxFileIsRefusedNamingIt() throws Exception {
    Path src = exportFolder("mean", 384);
    Files.writeString(src.resolve("onnx/model.onnx"), "garbage");
    var e =
        assertThrows(
            InvalidBundleException.class, () -> new SentenceTransformersImporter().read(src, "v"));
    assertEquals(Problem.INVALID_MODEL, e.problem());
    assertTrue(e.file().endsWith("model.onnx"), e.file());
  }
}
