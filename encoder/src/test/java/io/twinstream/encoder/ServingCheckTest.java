package io.twinstream.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.InvalidBundleException.Problem;
import io.twinstream.encoder.registry.ModelRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bundles whose checksums are right but that cannot serve are refused before anything serves them,
 * each with the reason: by opening (position table, vocabulary, dimension, an unloadable file) and
 * by the serving check (texts up to the maximum length, finite and normalised vectors); publishing
 * into a registry runs both.
 */
class ServingCheckTest {

  @TempDir Path tmp;

  private static ModelBundle BASE;

  @BeforeAll
  static void load() throws Exception {
    BASE = ModelBundle.builtin(ModelBundle.DEFAULT);
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static InvalidBundleException refused(ModelBundle bundle) {
    return assertThrows(InvalidBundleException.class, () -> ServingCheck.check(bundle));
  }

  @Test
  void theBuiltInBundlesServe() throws Exception {
    ServingCheck.check(BASE);
    ServingCheck.check(ModelBundle.builtin(ModelBundle.DEFAULT_INT8));
  }

  @Test
  void aMaximumLengthBeyondTheModelsPositionsIsRefused() throws Exception {
    InvalidBundleException e = refused(BASE.withMaxSequenceLength(1024));
    assertEquals(Problem.INVALID_MODEL, e.problem());
    assertTrue(
        e.getMessage().contains("maxSequenceLength 1024 exceeds the model's 512 positions"),
        e.getMessage());
    InvalidBundleException q =
        refused(ModelBundle.builtin(ModelBundle.DEFAULT_INT8).withMaxSequenceLength(600));
    assertTrue(q.getMessage().contains("exceeds the model's 512 positions"), q.getMessage());
  }

  @Test
  void aModelThatComputesNonFiniteValuesIsRefused() {
    InvalidBundleException e = refused(TestBundles.perturbed(BASE, "nan-v1", Float.NaN));
    assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
  }

  @Test
  void aManifestThatClaimsAnotherDimensionIsRefused() {
    BundleManifest m = BASE.manifest();
    ModelBundle claims768 =
        ModelBundle.of(
            new BundleManifest(
                m.format(),
                "wide-v1",
                null,
                768,
                m.pooling(),
                m.normalize(),
                m.maxSequenceLength(),
                m.files(),
                m.createdAt(),
                "test",
                m.training(),
                m.metrics()),
            bytes(BASE.modelBuffer()),
            bytes(BASE.tokenizerBuffer()),
            "test:wide-v1");
    assertTrue(refused(claims768).getMessage().contains("manifest says 768"));
  }

  @Test
  void aRandomModelFileWithMatchingChecksumsIsRefused() {
    byte[] random = new byte[4096];
    new Random(3).nextBytes(random);
    ModelBundle garbage =
        ModelBundle.of(BASE.manifest(), random, bytes(BASE.tokenizerBuffer()), "test:garbage");
    InvalidBundleException e = refused(garbage);
    assertEquals(Problem.INVALID_MODEL, e.problem());
    assertTrue(e.getMessage().contains("cannot load the model"), e.getMessage());
  }

  @Test
  void aTokenizerOfAnotherVocabularyIsRefused() {
    String tokenizer = new String(bytes(BASE.tokenizerBuffer()), StandardCharsets.UTF_8);
    String bigger =
        tokenizer.replaceFirst(
            "\"added_tokens\"\\s*:\\s*\\[",
            "\"added_tokens\":[{\"id\":40000,\"content\":\"[EXTRA]\",\"single_word\":false,"
                + "\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},");
    ModelBundle mismatched =
        ModelBundle.of(
            BASE.manifest(),
            bytes(BASE.modelBuffer()),
            bigger.getBytes(StandardCharsets.UTF_8),
            "test:other-tokenizer");
    InvalidBundleException e = refused(mismatched);
    assertTrue(
        e.getMessage().contains("ids up to 40000 but the model has 30522 word embeddings"),
        e.getMessage());
  }

  @Test
  void aTokenizerOfAnotherVocabularyIsRefusedForTheQuantisedModelToo() throws Exception {
    // Found by the reliability suite: the int8 graph keeps its word embeddings as
    // "...weight_quantized" next to "..._scale" and "..._zero_point" scalars.
    ModelBundle int8 = ModelBundle.builtin(ModelBundle.DEFAULT_INT8);
    String tokenizer = new String(bytes(int8.tokenizerBuffer()), StandardCharsets.UTF_8);
    String bigger =
        tokenizer.replaceFirst(
            "\"added_tokens\"\\s*:\\s*\\[",
            "\"added_tokens\":[{\"id\":40000,\"content\":\"[EXTRA]\",\"single_word\":false,"
                + "\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},");
    InvalidBundleException e =
        refused(
            ModelBundle.of(
                int8.manifest(),
                bytes(int8.modelBuffer()),
                bigger.getBytes(StandardCharsets.UTF_8),
                "test:int8-other-tokenizer"));
    assertTrue(
        e.getMessage().contains("ids up to 40000 but the model has 30522 word embeddings"),
        e.getMessage());
  }

  @Test
  void publishingRunsTheCheckAndWritesNothingThatCannotServe() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    assertThrows(
        InvalidBundleException.class,
        () -> registry.publish(TestBundles.perturbed(BASE, "nan-v1", Float.NaN)));
    assertThrows(
        InvalidBundleException.class,
        () -> registry.publish(BASE.withVersion("long-v1", null).withMaxSequenceLength(2048)));
    assertTrue(registry.list().isEmpty(), "nothing published");
    assertFalse(registry.publish(BASE.withVersion("good-v1", null)).version().isEmpty());
  }
}
