package io.twinstream.embedder.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.InvalidBundleException.Problem;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.TestBundles;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.encoder.registry.RegistryStore;
import io.twinstream.encoder.serving.ModelSwitch;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.TrustedRecords;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry on Flink's file systems: the same contract on a real S3-compatible server ({@code
 * s3://}, through Flink's S3 plugin) and on Flink's local file system ({@code file://}).
 */
class FlinkRegistryStoreITCase {

  private static ModelBundle base;
  private static S3Server s3;

  @BeforeAll
  static void start() throws Exception {
    TrustedRecords.install();
    base = ModelBundle.builtin(ModelBundle.DEFAULT_INT8);
    s3 = S3Server.start("models", "elsewhere");
  }

  @AfterAll
  static void stop() throws Exception {
    s3.close();
  }

  @Nested
  class OnS3 extends RegistryContract {
    @Override
    URI newRoot() {
      return URI.create("s3://models/registry-" + UUID.randomUUID());
    }

    @Test
    void urisOfAnotherBucketAreRefused() throws Exception {
      ModelRegistry registry = open();
      registry.publish(base.withVersion("v1", null));
      assertThrows(
          IllegalArgumentException.class,
          () ->
              registry.versionOf(URI.create("s3://elsewhere" + registry.root().getPath() + "/v1")));
    }
  }

  @Nested
  class OnFlinkLocalFileSystem extends RegistryContract {
    @TempDir Path tmp;

    @Override
    URI newRoot() {
      return tmp.resolve("registry").toUri();
    }
  }

  abstract static class RegistryContract {

    abstract URI newRoot();

    ModelRegistry open() throws Exception {
      return ModelRegistry.open(new FlinkRegistryStore(newRoot()));
    }

    @Test
    void aPublishedVersionIsListedLoadsVerifiedAndResolvesFromItsUri() throws Exception {
      ModelRegistry registry = open();
      ModelBundle published = registry.publish(base.withVersion("v1", null));
      assertEquals("v1", published.version());
      assertEquals(List.of("v1"), registry.list().stream().map(BundleManifest::version).toList());
      assertEquals(base.modelBuffer(), registry.load("v1").modelBuffer());
      assertEquals("v1", registry.versionOf(registry.uri("v1")));
      assertEquals("v1", registry.versionOf(URI.create(registry.uri("v1") + "/")));
      assertEquals(
          ModelBundle.sha256(registry.store().read("v1/manifest.json")),
          registry.manifestSha256("v1"));
    }

    @Test
    void aVersionIsPublishedOnlyOnce() throws Exception {
      ModelRegistry registry = open();
      registry.publish(base.withVersion("v1", null));
      var e =
          assertThrows(
              FileAlreadyExistsException.class,
              () -> registry.publish(base.withVersion("v1", null)));
      assertTrue(e.getMessage().contains("already published"), e.getMessage());
    }

    @Test
    void aVersionWithoutItsManifestIsNeverListedOrLoadedAndCanBePublishedOver() throws Exception {
      ModelRegistry registry = open();
      registry.publish(base.withVersion("good", null));
      // A publisher that died after the model and before the manifest.
      registry.store().write("half/model.onnx", new byte[] {1, 2, 3}, true);
      assertEquals(List.of("good"), registry.list().stream().map(BundleManifest::version).toList());
      assertEquals(
          Problem.MISSING_FILE,
          assertThrows(InvalidBundleException.class, () -> registry.load("half")).problem());
      // Publishing it again replaces the leftovers.
      registry.publish(base.withVersion("half", "good"));
      assertEquals(base.modelBuffer(), registry.load("half").modelBuffer());
    }

    @Test
    void aDamagedFileIsRefusedByItsChecksum() throws Exception {
      ModelRegistry registry = open();
      registry.publish(base.withVersion("good", null));
      registry.store().write("good/tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8), true);
      InvalidBundleException e =
          assertThrows(InvalidBundleException.class, () -> registry.load("good"));
      assertEquals(Problem.CHECKSUM_MISMATCH, e.problem());
      assertTrue(e.getMessage().contains("good/tokenizer.json"), e.getMessage());
    }

    @Test
    void namesAndUrisNeverEscapeTheRoot() throws Exception {
      ModelRegistry registry = open();
      registry.publish(base.withVersion("v1", null));
      String root = registry.root().toString();
      for (String bad :
          List.of(
              root + "/../x",
              root + "/v1/../../x",
              root + "/v1/model.onnx",
              root,
              root + "/",
              root + "-sibling/v1",
              "hdfs://nn" + registry.root().getPath() + "/v1",
              "/etc/passwd")) {
        assertThrows(
            IllegalArgumentException.class, () -> registry.versionOf(URI.create(bad)), bad);
      }
      for (String bad : List.of("..", "../x", ".hidden", "a/b", "")) {
        assertEquals(
            Problem.UNKNOWN_BUNDLE,
            assertThrows(InvalidBundleException.class, () -> registry.load(bad)).problem(),
            bad);
      }
    }

    @Test
    void currentAndHistoryGiveTheVersionToRollBackTo() throws Exception {
      ModelRegistry registry = open();
      assertEquals(Optional.empty(), registry.current());
      registry.publish(base.withVersion("v1", null));
      registry.publish(base.withVersion("v2", "v1"));
      assertThrows(InvalidBundleException.class, () -> registry.setCurrent("v9"));
      registry.setCurrent("v1");
      registry.setCurrent("v2");
      assertEquals(Optional.of("v2"), registry.current());
      assertEquals(List.of("v1", "v2"), registry.history());
      assertEquals(Optional.of("v1"), registry.previous());
      assertArrayEquals(
          "v2\n".getBytes(StandardCharsets.UTF_8), registry.store().read(ModelRegistry.CURRENT));
      assertFalse(
          registry.list().stream().anyMatch(m -> m.version().equals(ModelRegistry.CURRENT)));
    }

    @Test
    void theJobSwapsToAVersionFromThisStoreAndRefusesADamagedOne() throws Exception {
      ModelRegistry registry = open();
      registry.publish(base.withVersion("v1", null));
      registry.publish(TestBundles.perturbed(base, "v2", 1.5f));
      registry.publish(TestBundles.perturbed(base, "v3", 0.5f));
      registry.setCurrent("v1");
      RegistryStore store = registry.store();
      store.write("v3/model.onnx", new byte[] {0}, true); // damaged after publishing
      try (ModelSwitch models =
          new ModelSwitch(registry, EncoderOptions.defaults().withThreads(1))) {
        models.start(null, "registry");
        assertEquals("v1", models.serving().version);
        models.onUpdate(update(registry, "v3", 10));
        models.awaitLoads(Duration.ofMinutes(2));
        assertFalse(models.swapIfReady());
        assertEquals(1, models.refusals());
        models.onUpdate(update(registry, "v2", 20));
        models.awaitLoads(Duration.ofMinutes(2));
        assertTrue(models.swapIfReady());
        assertEquals("v2", models.serving().version);
        assertEquals(registry.uri("v2").toString(), models.serving().location);
      }
    }

    private static ModelUpdate update(ModelRegistry registry, String version, long at)
        throws Exception {
      return ModelUpdate.newBuilder()
          .setVersion(version)
          .setParentVersion(null)
          .setUri(registry.uri(version).toString())
          .setSha256(registry.manifestSha256(version))
          .setStatus(ModelStatus.PROMOTED)
          .setMetrics(Map.of())
          .setCreatedAt(registry.currentSince().orElseThrow().plusMillis(at))
          .setReason("test")
          .build();
    }
  }
}
