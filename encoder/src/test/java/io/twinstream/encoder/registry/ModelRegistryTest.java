package io.twinstream.encoder.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.BundleWriter;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.InvalidBundleException.Problem;
import io.twinstream.encoder.ModelBundle;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRegistryTest {

  private static ModelBundle base;

  @TempDir Path tmp;

  @BeforeAll
  static void load() throws Exception {
    base =
        ModelBundle.builtin(ModelBundle.DEFAULT_INT8); // the small one: these tests copy it a lot
  }

  @Test
  void aPublishedVersionIsListedAndLoadsVerified() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    ModelBundle published = registry.publish(base.withVersion("v1", null));
    assertEquals("v1", published.version());
    assertEquals(List.of("v1"), registry.list().stream().map(BundleManifest::version).toList());
    ModelBundle loaded = registry.load("v1");
    assertEquals(base.modelBuffer(), loaded.modelBuffer());
    assertEquals(tmp.resolve("registry/v1").toUri(), registry.uri("v1"));
    assertEquals("v1", registry.versionOf(registry.uri("v1")));
    assertEquals(
        ModelBundle.sha256(Files.readAllBytes(tmp.resolve("registry/v1/manifest.json"))),
        registry.manifestSha256("v1"));
  }

  @Test
  void aVersionIsPublishedOnlyOnce() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp);
    registry.publish(base.withVersion("v1", null));
    var e =
        assertThrows(
            FileAlreadyExistsException.class, () -> registry.publish(base.withVersion("v1", null)));
    assertTrue(e.getMessage().contains("already published"), e.getMessage());
  }

  @Test
  void concurrentPublishersOfOneVersionLeaveExactlyOneWinner() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp);
    int publishers = 6;
    ExecutorService pool = Executors.newFixedThreadPool(publishers);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<ModelBundle>> results = new ArrayList<>();
    for (int i = 0; i < publishers; i++) {
      results.add(
          pool.submit(
              () -> {
                start.await();
                return registry.publish(base.withVersion("race", null));
              }));
    }
    start.countDown();
    int won = 0;
    int lost = 0;
    for (Future<ModelBundle> f : results) {
      try {
        f.get();
        won++;
      } catch (ExecutionException e) {
        assertTrue(e.getCause() instanceof FileAlreadyExistsException, e.getCause().toString());
        lost++;
      }
    }
    pool.shutdown();
    assertEquals(1, won);
    assertEquals(publishers - 1, lost);
    registry.load("race");
    try (var files = Files.list(tmp)) {
      assertEquals(
          List.of("race"), files.map(p -> p.getFileName().toString()).toList(), "no leftovers");
    }
  }

  @Test
  void concurrentPublishersOfDifferentVersionsAllSucceed() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<ModelBundle>> results = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String version = "v" + i;
      results.add(pool.submit(() -> registry.publish(base.withVersion(version, null))));
    }
    for (Future<ModelBundle> f : results) {
      f.get();
    }
    pool.shutdown();
    assertEquals(4, registry.list().size());
  }

  @Test
  void partialWritesAreNeverListedOrLoaded() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp);
    registry.publish(base.withVersion("good", null));
    // A publisher that died while writing: its hidden incoming directory holds only the model.
    Path incoming = Files.createDirectories(tmp.resolve(".incoming-crashed-1234"));
    Files.write(incoming.resolve("model.onnx"), new byte[] {1, 2, 3});
    // A version directory copied by hand without its manifest.
    Path half = Files.createDirectories(tmp.resolve("half"));
    Files.write(half.resolve("model.onnx"), new byte[] {1, 2, 3});
    assertEquals(List.of("good"), registry.list().stream().map(BundleManifest::version).toList());
    var e = assertThrows(InvalidBundleException.class, () -> registry.load("half"));
    assertEquals(Problem.MISSING_FILE, e.problem());
    // And a published version damaged afterwards is refused by its checksum.
    Files.write(tmp.resolve("good/tokenizer.json"), "{}".getBytes());
    assertEquals(
        Problem.CHECKSUM_MISMATCH,
        assertThrows(InvalidBundleException.class, () -> registry.load("good")).problem());
  }

  @Test
  void pathTraversalIsRefused() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    registry.publish(base.withVersion("v1", null));
    for (String bad : List.of("..", "../etc", "v1/../../x", "/etc/passwd", ".hidden", "a/b", "")) {
      assertThrows(IllegalArgumentException.class, () -> ModelRegistry.checkVersion(bad), bad);
      assertEquals(
          Problem.UNKNOWN_BUNDLE,
          assertThrows(InvalidBundleException.class, () -> registry.load(bad)).problem(),
          bad);
    }
    assertThrows(
        IllegalArgumentException.class, () -> registry.versionOf(Path.of("/etc/passwd").toUri()));
    assertThrows(
        IllegalArgumentException.class,
        () -> registry.versionOf(tmp.resolve("registry/v1/../../outside").toUri()));
    assertThrows(
        IllegalArgumentException.class,
        () -> registry.versionOf(tmp.resolve("registry/v1/model.onnx").toUri()));
    assertThrows(IllegalArgumentException.class, () -> base.withVersion("../escape", null));
  }

  @Test
  void currentNamesOnlyAPublishedVersion() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp);
    assertEquals(Optional.empty(), registry.current());
    assertThrows(InvalidBundleException.class, () -> registry.setCurrent("v9"));
    registry.publish(base.withVersion("v1", null));
    registry.setCurrent("v1");
    assertEquals(Optional.of("v1"), registry.current());
    assertFalse(registry.list().isEmpty());
    assertArrayEquals("v1\n".getBytes(), Files.readAllBytes(tmp.resolve("CURRENT")));
  }

  @Test
  void historyGivesTheVersionToRollBackTo() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp);
    registry.publish(base.withVersion("v1", null));
    registry.publish(base.withVersion("v2", "v1"));
    assertEquals(Optional.empty(), registry.previous());
    registry.setCurrent("v1");
    registry.setCurrent("v2");
    assertEquals(List.of("v1", "v2"), registry.history());
    assertEquals(Optional.of("v1"), registry.previous());
    registry.setCurrent("v1"); // the rollback itself
    assertEquals(Optional.of("v2"), registry.previous());
  }

  @Test
  void aLinkInsideTheRootToABundleOutsideItIsRefused() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    Path outside = tmp.resolve("elsewhere/v9");
    BundleWriter.write(base.withVersion("v9", null), outside);
    Files.createSymbolicLink(tmp.resolve("registry/v9"), outside);
    InvalidBundleException e =
        assertThrows(InvalidBundleException.class, () -> registry.load("v9"));
    assertTrue(e.getMessage().contains("outside the registry root"), e.getMessage());
    assertTrue(
        registry.list().stream().noneMatch(m -> m.version().equals("v9")), "not listed either");
    // A link that stays inside the root is followed.
    registry.publish(base.withVersion("v1", null));
    Files.createSymbolicLink(tmp.resolve("registry/v1-alias"), tmp.resolve("registry/v1"));
    assertEquals("v1", registry.load("v1").version());
  }
}
