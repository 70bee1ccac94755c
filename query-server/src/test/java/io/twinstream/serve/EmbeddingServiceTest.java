package io.twinstream.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.registry.ModelRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batching core without HTTP: what a request gets, and when it is refused. */
class EmbeddingServiceTest {

  private static ModelBundle int8;
  private static ModelBundle fp32;

  @TempDir Path tmp;

  @BeforeAll
  static void load() throws Exception {
    int8 = ModelBundle.builtin(ModelBundle.DEFAULT_INT8);
    fp32 = ModelBundle.builtin(ModelBundle.DEFAULT);
  }

  private static ServeOptions options(int queueLimit) {
    ServeOptions d = ServeOptions.defaults();
    return new ServeOptions(
        0,
        d.maxBodyBytes(),
        d.maxInputs(),
        d.batchTokens(),
        Duration.ofMillis(5),
        queueLimit,
        d.httpThreads(),
        1,
        d.maxK(),
        d.bridge());
  }

  @Test
  void concurrentRequestsShareEncoderCallsAndEachGetsItsOwnVectors() throws Exception {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      texts.add("request " + i + " asks about refunds for order " + (i * 37));
    }
    try (EmbeddingService service = new EmbeddingService(null, "default-int8", options(1024));
        SentenceEncoder direct = SentenceEncoder.open(int8, EncoderOptions.defaults())) {
      List<CompletableFuture<EmbeddingService.Embedded>> futures = new ArrayList<>();
      for (String t : texts) {
        futures.add(service.embed(List.of(t), ModelSelector.FULLY_SERVED));
      }
      for (int i = 0; i < texts.size(); i++) {
        EmbeddingService.Embedded e = futures.get(i).get(2, TimeUnit.MINUTES);
        assertEquals(int8.version(), e.version());
        assertArrayEquals(direct.encode(texts.get(i)).vector(), e.vectors().get(0).vector(), 1e-5f);
        assertEquals(direct.encode(texts.get(i)).tokens(), e.tokens());
      }
      assertTrue(
          service.batches.get() < texts.size(),
          service.batches.get() + " encoder calls for " + texts.size() + " requests");
    }
  }

  @Test
  void aPinnedVersionLoadsFromTheRegistryAndAnUnknownOneIs404() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    registry.publish(int8.withVersion("v1", null));
    registry.publish(fp32.withVersion("v2", null));
    registry.setCurrent("v1");
    try (EmbeddingService service = new EmbeddingService(registry, "registry", options(1024));
        SentenceEncoder v2 = SentenceEncoder.open(registry.load("v2"))) {
      assertEquals("v1", service.embed(List.of("a"), ModelSelector.SERVING).get().version());
      EmbeddingService.Embedded pinned =
          service.embed(List.of("pinned"), ModelSelector.parse("v2")).get();
      assertEquals("v2", pinned.version());
      assertArrayEquals(v2.encode("pinned").vector(), pinned.vectors().get(0).vector(), 1e-5f);
      ExecutionException unknown =
          assertThrows(
              ExecutionException.class,
              () -> service.embed(List.of("x"), ModelSelector.parse("v9")).get());
      ServeException e = assertInstanceOf(ServeException.class, unknown.getCause());
      assertEquals(404, e.status());
      assertTrue(e.getMessage().contains("v9"), e.getMessage());
    }
  }

  @Test
  void aFullQueueRefusesWith429InsteadOfWaiting() throws Exception {
    try (EmbeddingService service = new EmbeddingService(null, "default-int8", options(1))) {
      List<CompletableFuture<EmbeddingService.Embedded>> futures = new ArrayList<>();
      List<String> big = new ArrayList<>();
      for (int i = 0; i < 256; i++) {
        big.add("a long enough text to keep the encoder busy for a while, number " + i);
      }
      for (int i = 0; i < 50; i++) {
        futures.add(service.embed(big, ModelSelector.SERVING));
      }
      int refused = 0;
      for (CompletableFuture<EmbeddingService.Embedded> f : futures) {
        try {
          f.get(5, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
          assertEquals(429, assertInstanceOf(ServeException.class, e.getCause()).status());
          refused++;
        }
      }
      assertTrue(refused > 0 && refused < 50, refused + " of 50 refused");
    }
  }
}
