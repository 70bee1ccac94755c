package io.twinstream.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.twinstream.encoder.BundleWriter;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.trainer.loss.BatchEmbeddings;
import io.twinstream.trainer.loss.Loss;
import io.twinstream.trainer.loss.LossInputs;
import io.twinstream.trainer.loss.Losses;
import io.twinstream.trainer.loss.MultipleNegativesRankingLoss;
import io.twinstream.trainer.loss.TripletLoss;
import java.lang.ref.Cleaner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FineTunerTest {

  private static final List<TrainingExample> BATCH =
      List.of(
          TrainingExample.triplet(
              "How do I reset my password?",
              "Steps to recover a forgotten password",
              "Change the colour of the dashboard"),
          TrainingExample.triplet(
              "cheap flights to Lisbon",
              "Low-cost airline tickets for Portugal's capital",
              "Lisbon weather in March"),
          TrainingExample.triplet(
              "A man plays the guitar on stage.",
              "A musician is performing with a guitar.",
              "A man is cooking pasta."),
          TrainingExample.triplet(
              "error 503 from the gateway",
              "the upstream service was unavailable",
              "the invoice was paid twice"));

  private static ModelBundle base;
  private static TwinEncoder encoder;

  @BeforeAll
  static void load() throws Exception {
    base = ModelBundle.builtin(ModelBundle.DEFAULT);
    encoder = TwinEncoder.load(base);
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  @Test
  void aForcedGarbageCollectionBetweenForwardAndBackwardDoesNotChangeGradients() throws Exception {
    FineTuner tuner = new FineTuner(new MultipleNegativesRankingLoss(), TrainingOptions.defaults());
    Map<String, float[]> quiet = tuner.gradients(encoder, BATCH);
    tuner.beforeBackward = FineTunerTest::collectGarbage;
    Map<String, float[]> collected = tuner.gradients(encoder, BATCH);
    assertEquals(quiet.keySet(), collected.keySet());
    double largest = 0;
    for (String name : quiet.keySet()) {
      assertArrayEquals(quiet.get(name), collected.get(name), 1e-7f, name);
      for (float g : quiet.get(name)) {
        largest = Math.max(largest, Math.abs(g));
      }
    }
    assertTrue(largest > 1e-4, "gradients are not all zero: " + largest);
  }

  @Test
  void theGradientCacheGivesTheGradientsOfTheWholeBatch() throws Exception {
    TrainingOptions direct = TrainingOptions.defaults().withGradientCache(GradientCache.OFF, 768);
    // A budget of 1 MiB forces mini-batches of one text (a dozen tokens take ~2.4 MB).
    TrainingOptions cached = TrainingOptions.defaults().withGradientCache(GradientCache.ON, 1);
    Loss loss = new MultipleNegativesRankingLoss(20f, true);
    Map<String, float[]> whole = new FineTuner(loss, direct).gradients(encoder, BATCH);
    Map<String, float[]> pieces = new FineTuner(loss, cached).gradients(encoder, BATCH);
    for (String name : whole.keySet()) {
      float[] w = whole.get(name);
      float[] p = pieces.get(name);
      double scale = 0;
      for (float v : w) {
        scale = Math.max(scale, Math.abs(v));
      }
      for (int i = 0; i < w.length; i++) {
        assertEquals(w[i], p[i], 1e-4 * scale + 1e-7, name + "[" + i + "]");
      }
    }
  }

  @Test
  void frozenLayersAndTheEmbeddingsKeepTheirWeightsWhileTheLayersAboveLearn() throws Exception {
    TrainingOptions options =
        TrainingOptions.defaults().withBatchSize(4).withLearningRate(1e-3).withFrozenLayers(4);
    FineTuner.Result r =
        new FineTuner(new MultipleNegativesRankingLoss(), options)
            .fineTune(base, BATCH, TrainingListener.NONE);
    try (TwinEncoder trained = r.encoder()) {
      int unchanged = 0;
      int changed = 0;
      for (Map.Entry<String, NDArray> e : encoder.parameters().entrySet()) {
        float[] before = e.getValue().toFloatArray();
        float[] after = trained.parameters().get(e.getKey()).toFloatArray();
        boolean frozen =
            e.getKey().startsWith("embeddings.")
                || e.getKey().matches("encoder\\.layer\\.[0-3]\\..*");
        if (frozen) {
          assertArrayEquals(before, after, 0f, e.getKey());
          unchanged++;
        } else {
          assertFalse(Arrays.equals(before, after), e.getKey() + " did not learn");
          changed++;
        }
      }
      // MiniLM-L6: 5 embedding tensors + 4 x 16 frozen; 2 x 16 trained.
      assertEquals(69, unchanged);
      assertEquals(32, changed);
    }
  }

  @Test
  void withFrozenLayersTheGradientCacheStartsFromTheKeptHiddenStateAndGivesTheSameGradients()
      throws Exception {
    Loss loss = new MultipleNegativesRankingLoss(20f, true);
    TrainingOptions direct =
        TrainingOptions.defaults().withGradientCache(GradientCache.OFF, 768).withFrozenLayers(3);
    TrainingOptions cached =
        TrainingOptions.defaults().withGradientCache(GradientCache.ON, 1).withFrozenLayers(3);
    Map<String, float[]> whole = new FineTuner(loss, direct).gradients(encoder, BATCH);
    Map<String, float[]> pieces = new FineTuner(loss, cached).gradients(encoder, BATCH);
    Map<String, float[]> unfrozen =
        new FineTuner(loss, direct.withFrozenLayers(0)).gradients(encoder, BATCH);
    assertEquals(whole.keySet(), pieces.keySet());
    assertEquals(32 + 16, whole.size(), "layers 3-5 (16 tensors each), none below");
    for (String name : whole.keySet()) {
      float[] w = whole.get(name);
      float[] p = pieces.get(name);
      float[] u = unfrozen.get(name);
      double scale = 0;
      for (float v : w) {
        scale = Math.max(scale, Math.abs(v));
      }
      assertTrue(scale > 0, name + " has no gradient");
      for (int i = 0; i < w.length; i++) {
        assertEquals(w[i], p[i], 1e-4 * scale + 1e-7, name + "[" + i + "]");
        // Freezing lower layers does not change the gradient of the layers above them.
        assertEquals(w[i], u[i], 1e-4 * scale + 1e-7, name + "[" + i + "] vs unfrozen");
      }
    }
  }

  @Test
  void freezingMoreLayersThanTheModelHasIsRefused() {
    FineTuner tuner =
        new FineTuner(
            new MultipleNegativesRankingLoss(), TrainingOptions.defaults().withFrozenLayers(7));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> tuner.fineTune(base, BATCH, TrainingListener.NONE));
    assertEquals("frozenLayers is 7 but the model has only 6 layers", e.getMessage());
  }

  @Test
  void theSameSeedGivesTheSameRoundAndAnotherSeedAnotherOrder() throws Exception {
    List<TrainingExample> examples = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      examples.addAll(BATCH);
    }
    TrainingOptions options = TrainingOptions.defaults().withBatchSize(4).withLearningRate(1e-4);
    List<Double> first =
        losses(new FineTuner(new MultipleNegativesRankingLoss(), options), examples);
    List<Double> again =
        losses(new FineTuner(new MultipleNegativesRankingLoss(), options), examples);
    List<Double> other =
        losses(new FineTuner(new MultipleNegativesRankingLoss(), options.withSeed(7)), examples);
    assertEquals(first, again);
    assertNotEquals(first, other);
  }

  private static List<Double> losses(FineTuner tuner, List<TrainingExample> examples)
      throws Exception {
    List<Double> out = new ArrayList<>();
    FineTuner.Result r =
        tuner.fineTune(
            base,
            examples,
            new TrainingListener() {
              @Override
              public void stepCompleted(
                  int epoch, int step, int totalSteps, double loss, double lr, double norm) {
                out.add(loss);
              }
            });
    r.encoder().close();
    assertEquals(4, r.summary().steps());
    return out;
  }

  @Test
  void aDivergingRoundIsAbortedAndLeavesTheInputModelUntouched(@TempDir Path dir) throws Exception {
    BundleWriter.write(base, dir.resolve("in"));
    List<byte[]> before = new ArrayList<>();
    try (var files = Files.list(dir.resolve("in"))) {
      for (Path f : files.sorted().toList()) {
        before.add(Files.readAllBytes(f));
      }
    }
    ModelBundle input = ModelBundle.load(dir.resolve("in"));
    float[][] vectorsBefore = encoder.encode(List.of(BATCH.get(0).anchor()));
    // An absurd learning rate without clipping: weights explode within a few steps.
    TrainingOptions options =
        TrainingOptions.defaults()
            .withBatchSize(2)
            .withLearningRate(1e30)
            .withWarmupRatio(0)
            .withMaxGradNorm(Double.POSITIVE_INFINITY)
            .withEpochs(3);
    TrainingDivergedException e =
        assertThrows(
            TrainingDivergedException.class,
            () ->
                new FineTuner(new TripletLoss(), options)
                    .fineTune(input, BATCH, TrainingListener.NONE));
    assertTrue(e.getMessage().contains("input model is unchanged"), e.getMessage());
    assertTrue(e.step() >= 1);
    List<byte[]> after = new ArrayList<>();
    try (var files = Files.list(dir.resolve("in"))) {
      for (Path f : files.sorted().toList()) {
        after.add(Files.readAllBytes(f));
      }
    }
    assertEquals(before.size(), after.size());
    for (int i = 0; i < before.size(); i++) {
      assertArrayEquals(before.get(i), after.get(i));
    }
    try (TwinEncoder reloaded = TwinEncoder.load(ModelBundle.load(dir.resolve("in")))) {
      assertArrayEquals(
          vectorsBefore[0], reloaded.encode(List.of(BATCH.get(0).anchor()))[0], 1e-6f);
    }
  }

  @Test
  void aNonFiniteLossAbortsAtTheFirstStep() {
    Loss poisoned =
        new Loss() {
          @Override
          public String name() {
            return "poisoned";
          }

          @Override
          public Map<String, Object> config() {
            return Map.of();
          }

          @Override
          public LossInputs inputs() {
            return LossInputs.ANCHOR_POSITIVE;
          }

          @Override
          public NDArray compute(NDManager m, BatchEmbeddings batch) {
            return batch.anchors().sum().mul(m.create(Float.NaN));
          }
        };
    TrainingDivergedException e =
        assertThrows(
            TrainingDivergedException.class,
            () ->
                new FineTuner(poisoned, TrainingOptions.defaults())
                    .fineTune(base, BATCH, TrainingListener.NONE));
    assertEquals(1, e.step());
    assertTrue(e.getMessage().contains("the loss is NaN"), e.getMessage());
  }

  @Test
  void examplesThatCannotTrainTheLossAreNamed() {
    FineTuner triplet = new FineTuner(new TripletLoss(), TrainingOptions.defaults());
    List<TrainingExample> mixed = List.of(BATCH.get(0), TrainingExample.pair("a", "b"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> triplet.validate(mixed));
    assertEquals(
        "example 2 cannot train triplet: no negative (the loss needs anchor, positive and negative)",
        e.getMessage());
    FineTuner contrastive = new FineTuner(Losses.byName("contrastive"), TrainingOptions.defaults());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> contrastive.validate(List.of(TrainingExample.labelled("a", "b", 0.4f))));
    assertTrue(e.getMessage().contains("label 0.4 is not 0 or 1"), e.getMessage());
  }

  @Test
  void theLearningRateWarmsUpThenDecaysLinearlyToZero() {
    FineTuner tuner =
        new FineTuner(
            new MultipleNegativesRankingLoss(), TrainingOptions.defaults().withLearningRate(1.0));
    // 10 steps, 2 of warm-up.
    assertEquals(0.5, tuner.learningRate(1, 2, 10), 1e-12);
    assertEquals(1.0, tuner.learningRate(2, 2, 10), 1e-12);
    assertEquals(1.0, tuner.learningRate(3, 2, 10), 1e-12);
    assertEquals(0.125, tuner.learningRate(10, 2, 10), 1e-12);
  }

  private static final Cleaner CLEANER = Cleaner.create();

  /**
   * Runs the garbage collector until an object dropped now has been collected and its cleaner has
   * run: then every native scalar freed by an unreachable Java wrapper before this call is freed
   * too.
   */
  private static void collectGarbage() {
    CountDownLatch cleaned = new CountDownLatch(1);
    CLEANER.register(new Object(), cleaned::countDown);
    try {
      while (!cleaned.await(20, TimeUnit.MILLISECONDS)) {
        System.gc();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
