package io.twinstream.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.InvalidBundleException.Problem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelBundleTest {

  private static ModelBundle builtin;

  @TempDir Path tmp;

  @BeforeAll
  static void load() throws Exception {
    builtin = ModelBundle.builtin(ModelBundle.DEFAULT);
  }

  private Path writeCopy() throws Exception {
    Path dir = tmp.resolve("bundle");
    BundleWriter.write(builtin, dir);
    return dir;
  }

  @Test
  void builtinBundlesVerifyAndDescribeTheModel() throws Exception {
    BundleManifest m = builtin.manifest();
    assertEquals("all-MiniLM-L6-v2", m.version());
    assertEquals(384, m.dimension());
    assertEquals(256, m.maxSequenceLength());
    assertEquals(PoolingMode.MEAN, m.pooling());
    assertTrue(m.normalize());
    assertEquals("all-MiniLM-L6-v2-int8", ModelBundle.builtin(ModelBundle.DEFAULT_INT8).version());
  }

  @Test
  void aWrittenBundleLoadsBackWithTheSameContent() throws Exception {
    ModelBundle loaded = ModelBundle.load(writeCopy());
    assertEquals(builtin.manifest().files(), loaded.manifest().files());
    assertEquals(builtin.modelBuffer(), loaded.modelBuffer());
    assertEquals(ModelBundle.resolve(tmp.resolve("bundle").toString()).version(), loaded.version());
  }

  @Test
  void aFurtherFileTravelsWithTheBundleAndIsVerifiedLikeTheModel() throws Exception {
    byte[] bridge = "a bridge".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    ModelBundle with = builtin.withVersion("v2", builtin.version()).withFile("bridge.bin", bridge);
    Path dir = tmp.resolve("with-file");
    BundleWriter.write(with, dir);
    ModelBundle loaded = ModelBundle.load(dir);
    assertArrayEquals(bridge, loaded.file("bridge.bin").orElseThrow());
    assertTrue(loaded.manifest().files().containsKey("bridge.bin"));
    assertTrue(
        loaded.withRecord(java.util.Map.of(), java.util.Map.of()).file("bridge.bin").isPresent());
    assertTrue(builtin.file("bridge.bin").isEmpty());

    Files.write(
        dir.resolve("bridge.bin"), "another".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    var e = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(dir));
    assertEquals(Problem.CHECKSUM_MISMATCH, e.problem());
    assertEquals(dir.resolve("bridge.bin").toString(), e.file());
    assertThrows(IllegalArgumentException.class, () -> builtin.withFile("model.onnx", bridge));
  }

  @Test
  void checksumMismatchNamesTheFile() throws Exception {
    Path dir = writeCopy();
    Path tokenizer = dir.resolve("tokenizer.json");
    byte[] bytes = Files.readAllBytes(tokenizer);
    bytes[100] ^= 1;
    Files.write(tokenizer, bytes);
    var e = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(dir));
    assertEquals(Problem.CHECKSUM_MISMATCH, e.problem());
    assertEquals(tokenizer.toString(), e.file());
    assertTrue(e.getMessage().startsWith(tokenizer + ": SHA-256 mismatch"), e.getMessage());
  }

  @Test
  void missingModelFileNamesIt() throws Exception {
    Path dir = writeCopy();
    Files.delete(dir.resolve("model.onnx"));
    var e = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(dir));
    assertEquals(Problem.MISSING_FILE, e.problem());
    assertEquals(dir.resolve("model.onnx").toString(), e.file());
  }

  @Test
  void missingManifestNamesIt() throws Exception {
    Path dir = writeCopy();
    Files.delete(dir.resolve("manifest.json"));
    var e = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(dir));
    assertEquals(Problem.MISSING_FILE, e.problem());
    assertTrue(e.getMessage().contains("manifest.json"), e.getMessage());
  }

  @Test
  void manifestThatIsNotJsonIsMalformed() throws Exception {
    Path dir = writeCopy();
    Files.writeString(dir.resolve("manifest.json"), "{ not json");
    var e = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(dir));
    assertEquals(Problem.MALFORMED_MANIFEST, e.problem());
    assertTrue(e.getMessage().contains("manifest.json: not valid JSON"), e.getMessage());
  }

  @Test
  void manifestWithoutARequiredFieldNamesTheField() throws Exception {
    Path dir = writeCopy();
    Path manifest = dir.resolve("manifest.json");
    String json = Files.readString(manifest).replace("\"dimension\" : 384,", "");
    Files.writeString(manifest, json);
    var e = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(dir));
    assertEquals(Problem.MALFORMED_MANIFEST, e.problem());
    assertTrue(e.getMessage().endsWith("missing required field 'dimension'"), e.getMessage());
  }

  @Test
  void manifestWithAnUnknownPoolingModeIsMalformed() throws Exception {
    Path dir = writeCopy();
    Path manifest = dir.resolve("manifest.json");
    Files.writeString(manifest, Files.readString(manifest).replace("\"mean\"", "\"weighted\""));
    var e = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(dir));
    assertEquals(Problem.MALFORMED_MANIFEST, e.problem());
    assertTrue(e.getMessage().contains("Unknown pooling mode 'weighted'"), e.getMessage());
  }

  @Test
  void manifestWithAnEscapingVersionIsMalformed() throws Exception {
    Path dir = writeCopy();
    Path manifest = dir.resolve("manifest.json");
    Files.writeString(
        manifest, Files.readString(manifest).replace("\"all-MiniLM-L6-v2\"", "\"../etc\""));
    var e = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(dir));
    assertEquals(Problem.MALFORMED_MANIFEST, e.problem());
    assertTrue(e.getMessage().contains("Invalid bundle version '../etc'"), e.getMessage());
  }

  @Test
  void unknownNameIsNeitherBuiltinNorDirectory() {
    var e =
        assertThrows(
            InvalidBundleException.class,
            () -> ModelBundle.resolve(tmp.resolve("nope").toString()));
    assertEquals(Problem.UNKNOWN_BUNDLE, e.problem());
    assertTrue(e.getMessage().contains("built-in: default, default-int8"), e.getMessage());
  }

  @Test
  void corruptModelThatStillMatchesItsChecksumFailsToOpenNamingTheModel() throws Exception {
    ModelBundle garbage =
        ModelBundle.of(
            builtin.manifest(),
            "not an onnx model".getBytes(StandardCharsets.UTF_8),
            builtin.tokenizerBytes().clone(),
            tmp.toString());
    var e = assertThrows(InvalidBundleException.class, () -> SentenceEncoder.open(garbage));
    assertEquals(Problem.INVALID_MODEL, e.problem());
    assertEquals(tmp + "/model.onnx", e.file());
  }

  @Test
  void manifestDimensionThatDisagreesWithTheModelIsRefusedAtOpen() throws Exception {
    BundleManifest m = builtin.manifest();
    BundleManifest wrong =
        new BundleManifest(
            m.format(),
            m.version(),
            null,
            768,
            m.pooling(),
            m.normalize(),
            m.maxSequenceLength(),
            m.files(),
            m.createdAt(),
            m.source(),
            m.training(),
            m.metrics());
    ModelBundle bundle =
        ModelBundle.of(
            wrong, builtin.modelBytes().clone(), builtin.tokenizerBytes().clone(), "wrong-dim");
    var e = assertThrows(InvalidBundleException.class, () -> SentenceEncoder.open(bundle));
    assertEquals(Problem.INVALID_MODEL, e.problem());
    assertTrue(
        e.getMessage().contains("384-dimensional vectors but the manifest says 768"),
        e.getMessage());
  }

  @Test
  void writingOverAnExistingBundleIsRefused() throws Exception {
    Path dir = writeCopy();
    var e = assertThrows(IOException.class, () -> BundleWriter.write(builtin, dir));
    assertTrue(e.getMessage().contains("a bundle already exists there"), e.getMessage());
  }
}
