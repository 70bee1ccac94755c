package io.twinstream.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The split encoder against the fused one on the built-in float model: the same vectors, the lower
 * part computed once per text for every model that shares it, and a store that never serves states
 * of another lower part.
 */
class SplitEncoderTest {

  private static final float TOLERANCE = 1e-6f;
  private static ModelBundle base;
  private static List<String> texts;
  private static float[][] baseVectors;

  @TempDir Path dir;

  @BeforeAll
  static void load() throws Exception {
    base = ModelBundle.builtin(ModelBundle.DEFAULT);
    texts = new ArrayList<>(TestTexts.parity200().subList(0, 30));
    // long documents, cut at the model's 256 tokens, and a repeated text
    List<String> sts = TestTexts.stsSentences("dev");
    for (int d = 0; d < 4; d++) {
      texts.add(String.join(" ", sts.subList(d * 40, d * 40 + 40)));
    }
    texts.add(texts.get(3));
    baseVectors = fused(base);
  }

  @Test
  void vectorsAreTheFusedEncodersAtTheLowestAndTheHighestSplitEvenWithAFullStore()
      throws Exception {
    try (HiddenStateStore store = HiddenStateStore.create(dir, 1000);
        SplitEncoder encoder = SplitEncoder.open(base, 1, store, EncoderOptions.defaults())) {
      assertClose(baseVectors, encoder.embed(texts), "split 1");
    }
    try (HiddenStateStore store = HiddenStateStore.create(dir, 5);
        SplitEncoder encoder = SplitEncoder.open(base, 5, store, EncoderOptions.defaults())) {
      assertClose(baseVectors, encoder.embed(texts), "split 5, a store of 5");
      assertEquals(5, store.size());
      assertClose(baseVectors, encoder.embed(texts), "split 5, again");
      assertEquals(
          2L * (texts.size() - 1) - 5,
          encoder.lowerComputed(),
          "what did not fit is computed every time");
    }
  }

  @Test
  void aModelThatSharesTheLowerLayersReadsTheirStatesInsteadOfComputingThem() throws Exception {
    ModelBundle upperChanged =
        TestBundles.scaled(base, "upper-changed", "encoder.layer.4.output.LayerNorm.weight", 1.5f);
    try (HiddenStateStore store = HiddenStateStore.create(dir, 1000)) {
      try (SplitEncoder first = SplitEncoder.open(base, 3, store, EncoderOptions.defaults())) {
        first.embed(texts);
        assertEquals(texts.size() - 1, first.lowerComputed(), "one text is there twice");
      }
      assertEquals(texts.size() - 1, store.size());
      float[][] expected = fused(upperChanged);
      try (SplitEncoder second =
          SplitEncoder.open(upperChanged, 3, store, EncoderOptions.defaults())) {
        float[][] actual = second.embed(texts);
        assertEquals(0, second.lowerComputed());
        assertClose(expected, actual, "upper layers changed");
        assertTrue(
            TestTexts.maxAbsDiff(baseVectors[0], actual[0]) > 1e-3,
            "the changed layer changes the vectors");
      }
    }
  }

  @Test
  void statesOfAnotherLowerPartAreDroppedNotRead() throws Exception {
    ModelBundle lowerChanged =
        TestBundles.scaled(base, "lower-changed", "encoder.layer.1.output.LayerNorm.weight", 1.5f);
    try (HiddenStateStore store = HiddenStateStore.create(dir, 1000)) {
      try (SplitEncoder first = SplitEncoder.open(base, 3, store, EncoderOptions.defaults())) {
        first.embed(texts);
      }
      String before = store.fingerprint();
      try (SplitEncoder second =
          SplitEncoder.open(lowerChanged, 3, store, EncoderOptions.defaults())) {
        float[][] actual = second.embed(texts);
        assertEquals(texts.size() - 1, second.lowerComputed());
        assertClose(fused(lowerChanged), actual, "lower layers changed");
      }
      assertTrue(!before.equals(store.fingerprint()));
    }
  }

  @Test
  void aQuantisedModelOrASplitWithoutLayersOnBothSidesIsRefusedWithTheReason() throws Exception {
    ModelBundle int8 = ModelBundle.builtin(ModelBundle.DEFAULT_INT8);
    try (HiddenStateStore store = HiddenStateStore.create(dir, 10)) {
      InvalidBundleException quantised =
          assertThrows(
              InvalidBundleException.class,
              () -> SplitEncoder.open(int8, 3, store, EncoderOptions.defaults()));
      assertTrue(quantised.getMessage().contains("cannot split the model above layer 3"));
      for (int split : new int[] {0, 6}) {
        InvalidBundleException e =
            assertThrows(
                InvalidBundleException.class,
                () -> SplitEncoder.open(base, split, store, EncoderOptions.defaults()));
        assertTrue(e.getMessage().contains("leave layers on both sides"), e.getMessage());
      }
    }
  }

  private static float[][] fused(ModelBundle bundle) throws Exception {
    try (SentenceEncoder encoder = SentenceEncoder.open(bundle)) {
      return encoder.embed(texts);
    }
  }

  private static void assertClose(float[][] expected, float[][] actual, String what) {
    assertEquals(expected.length, actual.length);
    float worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, TestTexts.maxAbsDiff(expected[i], actual[i]));
    }
    assertTrue(worst <= TOLERANCE, what + ": max abs difference " + worst + " > " + TOLERANCE);
  }
}
