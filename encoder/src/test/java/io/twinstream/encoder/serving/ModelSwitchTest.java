package io.twinstream.encoder.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.BundleWriter;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.TestBundles;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.TrustedRecords;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hot-swap core without Flink: what is loaded, what is refused, and when a swap happens. */
class ModelSwitchTest {

  private static final Duration LOAD = Duration.ofSeconds(60);
  private static ModelBundle base;

  @TempDir Path tmp;

  private ModelRegistry registry;
  private ModelSwitch models;

  /**
   * A registry with v1 and v2 published, copied for each test (publishing verifies each bundle).
   */
  @TempDir static Path published;

  @BeforeAll
  static void loadBase() throws Exception {
    TrustedRecords.install(); // the tests copy records with generated builders
    base = ModelBundle.builtin(ModelBundle.DEFAULT_INT8);
    ModelRegistry template = ModelRegistry.open(published.resolve("registry"));
    template.publish(base.withVersion("v1", null));
    template.publish(TestBundles.perturbed(base, "v2", 1.5f));
  }

  @BeforeEach
  void open() throws Exception {
    Path from = published.resolve("registry");
    Path to = tmp.resolve("registry");
    try (var files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(from.relativize(f).toString()));
      }
    }
    registry = ModelRegistry.open(to);
    models = new ModelSwitch(registry, EncoderOptions.defaults().withThreads(1));
    models.start(null, Path.of(registry.root()).resolve("v1").toString());
  }

  @AfterEach
  void close() {
    models.close();
  }

  private ModelUpdate update(String version, ModelStatus status, long at) throws Exception {
    return ModelUpdate.newBuilder()
        .setVersion(version)
        .setParentVersion(null)
        .setUri(registry.uri(version).toString())
        .setSha256(registry.manifestSha256(version))
        .setStatus(status)
        .setMetrics(Map.of())
        .setCreatedAt(Instant.ofEpochMilli(at))
        .setReason("test")
        .build();
  }

  private static List<Float> embed(ModelSwitch m, String text) {
    SentenceEncoder encoder = m.encoder();
    assertEquals(m.serving().version, encoder.modelVersion());
    List<Float> out = new ArrayList<>();
    for (float x : encoder.encode(text).vector()) {
      out.add(x);
    }
    return out;
  }

  @Test
  void aPromotionLoadsInTheBackgroundAndSwapsOnlyWhenAsked() throws Exception {
    List<Float> before = embed(models, "hot swap");
    models.onUpdate(update("v2", ModelStatus.PROMOTED, 10));
    models.awaitLoads(LOAD);
    assertEquals("v1", models.serving().version, "nothing changes until the next batch boundary");
    assertTrue(models.swapIfReady());
    assertEquals("v2", models.serving().version);
    List<Float> after = embed(models, "hot swap");
    assertFalse(before.equals(after), "v2 is another model");
    try (SentenceEncoder v2 = SentenceEncoder.open(registry.load("v2"))) {
      float[] expected = v2.encode("hot swap").vector();
      for (int d = 0; d < expected.length; d++) {
        assertEquals(expected[d], after.get(d), 1e-5f);
      }
    }
    assertEquals(1, models.swaps());
  }

  @Test
  void anOlderUpdateNeverTakesTheVersionBack() throws Exception {
    models.onUpdate(update("v2", ModelStatus.PROMOTED, 20));
    models.awaitLoads(LOAD);
    models.swapIfReady();
    models.onUpdate(update("v1", ModelStatus.PROMOTED, 10)); // replayed, older
    models.awaitLoads(LOAD);
    assertFalse(models.swapIfReady());
    assertEquals("v2", models.serving().version);
    models.onUpdate(update("v1", ModelStatus.ROLLED_BACK, 30)); // explicit, newer
    models.awaitLoads(LOAD);
    assertTrue(models.swapIfReady());
    assertEquals("v1", models.serving().version);
  }

  @Test
  void aJobStartingFromTheRegistrysCurrentVersionIgnoresThePromotionsBeforeIt() throws Exception {
    long before = System.currentTimeMillis() - 1;
    registry.setCurrent("v2");
    models.close();
    models = new ModelSwitch(registry, EncoderOptions.defaults().withThreads(1));
    models.start(null, "registry");
    assertEquals("v2", models.serving().version);
    models.onUpdate(update("v1", ModelStatus.PROMOTED, before)); // replayed from the topic
    models.awaitLoads(LOAD);
    assertFalse(models.swapIfReady(), "a promotion older than CURRENT is history");
    assertEquals("v2", models.serving().version);
    models.onUpdate(update("v1", ModelStatus.ROLLED_BACK, System.currentTimeMillis() + 1000));
    models.awaitLoads(LOAD);
    assertTrue(models.swapIfReady(), "a newer one applies");
    assertEquals("v1", models.serving().version);
  }

  @Test
  void aRejectedVersionNeverServes() throws Exception {
    models.onUpdate(update("v2", ModelStatus.REJECTED, 10));
    models.awaitLoads(LOAD);
    assertFalse(models.swapIfReady());
    assertEquals("v1", models.serving().version);
  }

  @Test
  void aBundleDamagedAfterPublishingIsRefusedAndCounted() throws Exception {
    ModelUpdate update = update("v2", ModelStatus.PROMOTED, 10);
    Files.write(Path.of(registry.root()).resolve("v2/tokenizer.json"), "{}".getBytes());
    models.onUpdate(update);
    models.awaitLoads(LOAD);
    assertFalse(models.swapIfReady());
    assertEquals("v1", models.serving().version);
    assertEquals(1, models.refusals());
  }

  @Test
  void aBundleOfAnotherDimensionIsRefused() throws Exception {
    registry.publish(TestBundles.sliced(base, "v256", 256));
    models.onUpdate(update("v256", ModelStatus.PROMOTED, 10));
    models.awaitLoads(LOAD);
    assertFalse(models.swapIfReady());
    assertEquals(1, models.refusals());
  }

  @Test
  void anUpdatePointingOutsideTheRegistryIsRefused() throws Exception {
    Path outside = tmp.resolve("elsewhere");
    BundleWriter.write(base.withVersion("v9", null), outside.resolve("v9"));
    ModelUpdate update =
        ModelUpdate.newBuilder(update("v1", ModelStatus.PROMOTED, 10))
            .setVersion("v9")
            .setUri(outside.resolve("v9").toUri().toString())
            .setSha256("")
            .build();
    models.onUpdate(update);
    models.awaitLoads(LOAD);
    assertFalse(models.swapIfReady());
    assertEquals(1, models.refusals());
  }

  @Test
  void aManifestThatDiffersFromTheUpdatesChecksumIsRefused() throws Exception {
    ModelUpdate update =
        ModelUpdate.newBuilder(update("v2", ModelStatus.PROMOTED, 10))
            .setSha256("0".repeat(64))
            .build();
    models.onUpdate(update);
    models.awaitLoads(LOAD);
    assertFalse(models.swapIfReady());
    assertEquals(1, models.refusals());
  }

  @Test
  void aLoadOvertakenByANewerUpdateIsDiscarded() throws Exception {
    registry.publish(TestBundles.perturbed(base, "v3", 0.7f));
    models.onUpdate(update("v2", ModelStatus.PROMOTED, 10));
    models.onUpdate(update("v3", ModelStatus.PROMOTED, 20));
    models.awaitLoads(LOAD);
    assertTrue(models.swapIfReady());
    assertEquals("v3", models.serving().version);
    assertFalse(models.swapIfReady());
  }

  @Test
  void aRestoredServingModelIsServedAgain() throws Exception {
    ServingModel restored =
        new ServingModel("v2", registry.uri("v2").toString(), registry.manifestSha256("v2"), 99);
    try (ModelSwitch again = new ModelSwitch(registry, EncoderOptions.defaults().withThreads(1))) {
      again.start(restored, "default");
      assertEquals(restored, again.serving());
    }
  }

  @Test
  void anUpdateIsPendingUntilItSwapsInOrIsRefused() throws Exception {
    assertNull(models.pending());
    models.onUpdate(update("v2", ModelStatus.PROMOTED, 10));
    assertEquals("v2", models.pending().version, "pending while it loads");
    models.awaitLoads(LOAD);
    assertEquals("v2", models.pending().version, "and while it waits for the batch boundary");
    models.swapIfReady();
    assertNull(models.pending());

    Files.write(Path.of(registry.root()).resolve("v1/tokenizer.json"), "{}".getBytes());
    models.onUpdate(update("v1", ModelStatus.ROLLED_BACK, 20));
    models.awaitLoads(LOAD);
    assertNull(models.pending(), "a refused update is not pending");
    assertEquals(1, models.refusals());
  }

  @Test
  void anUpdatePendingAtACheckpointIsLoadedAgainAfterTheRestore() throws Exception {
    models.onUpdate(update("v2", ModelStatus.PROMOTED, 10));
    // The checkpoint: v1 serves, v2 loads. The update's offset is in the same checkpoint, so the
    // restored job never reads it again.
    ServingModel serving = models.serving();
    ServingModel pending = models.pending();
    models.close();
    try (ModelSwitch restored =
        new ModelSwitch(registry, EncoderOptions.defaults().withThreads(1))) {
      restored.start(serving, "default");
      restored.resume(pending);
      restored.awaitLoads(LOAD);
      assertTrue(restored.swapIfReady());
      assertEquals("v2", restored.serving().version);
      assertNull(restored.pending());
      restored.resume(pending); // an old pending update, resumed twice, changes nothing
      restored.awaitLoads(LOAD);
      assertFalse(restored.swapIfReady());
    }
  }

  @Test
  void aRefusedUpdateDatedInTheFutureDoesNotBlockLaterPromotions() throws Exception {
    registry.publish(TestBundles.perturbed(base, "v3", 0.7f));
    ModelUpdate forged =
        ModelUpdate.newBuilder(update("v2", ModelStatus.PROMOTED, Long.MAX_VALUE / 2))
            .setSha256("0".repeat(64))
            .build();
    models.onUpdate(forged);
    models.awaitLoads(LOAD);
    assertEquals(1, models.refusals());
    models.onUpdate(update("v3", ModelStatus.PROMOTED, 20));
    models.awaitLoads(LOAD);
    assertTrue(models.swapIfReady(), "the refused update changed nothing it accepts next");
    assertEquals("v3", models.serving().version);
  }

  @Test
  void aModelThatFailsTheServingCheckIsRefused() throws Exception {
    registry.publish(base.withVersion("v4", null)); // published while it served fine ...
    Path manifest = Path.of(registry.root()).resolve("v4/manifest.json");
    ModelBundle longer = registry.load("v4").withMaxSequenceLength(600); // ... then made too long
    Files.write(manifest, longer.manifest().toJson());
    ModelUpdate update = update("v4", ModelStatus.PROMOTED, 10);
    models.onUpdate(update);
    models.awaitLoads(LOAD);
    assertFalse(models.swapIfReady());
    assertEquals(1, models.refusals());
    assertEquals("v1", models.serving().version);
  }

  @Test
  void aRegistryBrieflyUnreadableIsWaitedForAndTheUpdateStillApplies() throws Exception {
    Path root = Path.of(registry.root());
    Path away = root.resolveSibling("registry-away");
    List<Duration> waits = new ArrayList<>();
    Backoff patient =
        new Backoff(
            Duration.ofMillis(100),
            4,
            wait -> {
              waits.add(wait);
              if (waits.size() == 2) {
                try {
                  Files.move(away, root); // the mount is back
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              }
            });
    try (ModelSwitch switching =
        new ModelSwitch(registry, EncoderOptions.defaults().withThreads(1), patient)) {
      switching.start(null, root.resolve("v1").toString());
      ModelUpdate update = update("v2", ModelStatus.PROMOTED, 10);
      Files.move(root, away); // the registry's storage goes away
      switching.onUpdate(update);
      switching.awaitLoads(LOAD);
      assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200)), waits);
      assertEquals(0, switching.refusals());
      assertTrue(switching.swapIfReady());
      assertEquals("v2", switching.serving().version);
    }
  }

  @Test
  void withDualWritingTheVersionTheStoreSearchesKeepsEmbeddingUntilTheNewOneIsFullyServed()
      throws Exception {
    ModelSwitch dual = new ModelSwitch(registry, EncoderOptions.defaults().withThreads(1));
    try {
      dual.dualWrite(true);
      dual.start(null, Path.of(registry.root()).resolve("v1").toString());
      dual.onUpdate(update("v1", ModelStatus.FULLY_SERVED, 5)); // the store searches v1
      assertNull(dual.dualEncoder(), "nothing to dual-write while v1 is both");
      dual.onUpdate(update("v2", ModelStatus.PROMOTED, 10));
      dual.awaitLoads(LOAD);
      assertTrue(dual.swapIfReady());
      assertEquals("v2", dual.serving().version);
      assertEquals("v1", dual.dual().version, "v1 is still searched: it keeps being written");
      assertEquals("v1", dual.dualEncoder().modelVersion());
      dual.onUpdate(update("v1", ModelStatus.FULLY_SERVED, 5)); // replayed
      assertEquals("v1", dual.dual().version);
      dual.onUpdate(update("v2", ModelStatus.FULLY_SERVED, 20));
      assertNull(dual.dualEncoder(), "v2's backfill is complete: dual writing stops");
      assertEquals("v2", dual.storeServes().version);
    } finally {
      dual.close();
    }
  }

  @Test
  void aJobStartedAfterThePromotionLoadsTheVersionTheStoreSearchesAndARestoreKeepsIt()
      throws Exception {
    ModelSwitch fresh = new ModelSwitch(registry, EncoderOptions.defaults().withThreads(1));
    ServingModel kept;
    ServingModel storeServes;
    try {
      fresh.dualWrite(true);
      fresh.start(null, Path.of(registry.root()).resolve("v2").toString());
      fresh.onUpdate(update("v1", ModelStatus.FULLY_SERVED, 5));
      assertEquals("v1", fresh.dualEncoder().modelVersion());
      kept = fresh.dual();
      storeServes = fresh.storeServes();
    } finally {
      fresh.close();
    }
    ModelSwitch restored = new ModelSwitch(registry, EncoderOptions.defaults().withThreads(1));
    try {
      restored.dualWrite(true);
      restored.start(null, Path.of(registry.root()).resolve("v2").toString());
      restored.resumeDual(kept, storeServes);
      assertEquals("v1", restored.dualEncoder().modelVersion());
      restored.onUpdate(update("v1", ModelStatus.ROLLED_BACK, 30));
      restored.awaitLoads(LOAD);
      assertTrue(restored.swapIfReady());
      assertEquals("v1", restored.serving().version);
      assertNull(restored.dualEncoder(), "rolled back to what the store searches: one version");
    } finally {
      restored.close();
    }
  }

  @Test
  void withoutDualWritingASwapClosesTheOldModel() throws Exception {
    models.onUpdate(update("v2", ModelStatus.PROMOTED, 10));
    models.awaitLoads(LOAD);
    assertTrue(models.swapIfReady());
    assertNull(models.dualEncoder());
    models.onUpdate(update("v1", ModelStatus.FULLY_SERVED, 20));
    assertNull(models.dualEncoder(), "off: a FULLY_SERVED announcement loads nothing");
  }
}
