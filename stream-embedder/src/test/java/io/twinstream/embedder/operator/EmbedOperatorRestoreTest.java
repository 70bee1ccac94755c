package io.twinstream.embedder.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.TestBundles;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.records.Embedding;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.TrustedRecords;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.TestHarnessUtil;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedding operator with a model registry, in Flink's operator test harness: swaps between
 * batches, and its state across a restore.
 */
class EmbedOperatorRestoreTest {

  @TempDir Path tmp;

  private static EmbedOperator operator(ModelRegistry registry) {
    return new EmbedOperator("registry", registry.root().toString(), 2, 32, 50, 1);
  }

  /** A registry whose CURRENT is v1, with a v2 whose vectors differ from v1's. */
  private ModelRegistry registryServingV1WithV2() throws Exception {
    TrustedRecords.install();
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT_INT8);
    registry.publish(base.withVersion("v1", null));
    registry.publish(TestBundles.perturbed(base, "v2", 1.5f));
    registry.setCurrent("v1");
    return registry;
  }

  private static Sentence sentence(String id) {
    return Sentence.newBuilder()
        .setId(id)
        .setText("sentence " + id)
        .setEventTime(Instant.ofEpochMilli(900))
        .setAttributes(Map.of())
        .build();
  }

  @Test
  void aPromotionStillLoadingAtTheCheckpointServesAfterTheRestore() throws Exception {
    ModelRegistry registry = registryServingV1WithV2();
    ModelUpdate promoted =
        ModelUpdate.newBuilder()
            .setVersion("v2")
            .setParentVersion("v1")
            .setUri(registry.uri("v2").toString())
            .setSha256(registry.manifestSha256("v2"))
            .setStatus(ModelStatus.PROMOTED)
            .setMetrics(Map.of())
            .setCreatedAt(afterCurrent(registry, 10))
            .setReason("test")
            .build();

    OperatorSubtaskState checkpoint;
    try (var before = new TwoInputStreamOperatorTestHarness<>(operator(registry))) {
      before.open();
      before.processElement2(promoted, 0);
      // No batch boundary came since the update: v1 serves, v2 is pending (loading or loaded).
      checkpoint = before.snapshot(1, 1);
    }

    // The restored job resumes reading model-updates after the promotion: only its state has it.
    EmbedOperator restored = operator(registry);
    try (var after = new TwoInputStreamOperatorTestHarness<>(restored)) {
      after.initializeState(checkpoint);
      after.open();
      restored.awaitModelLoads(Duration.ofMinutes(2));
      after.processElement1(sentence("a"), 0);
      after.processElement1(sentence("b"), 0); // a full batch: the batch boundary swaps
      Mails.runUntil(after, () -> after.getOutput().size() >= 2);
      List<Embedding> out = TestHarnessUtil.getRawElementsFromOutput(after.getOutput());
      String version = out.get(out.size() - 1).getModelVersion();
      assertEquals("v2", version, "the promotion pending at the checkpoint serves after restore");
    }
  }

  private static ModelUpdate update(
      ModelRegistry registry, String version, ModelStatus status, long at) throws Exception {
    return ModelUpdate.newBuilder()
        .setVersion(version)
        .setParentVersion(null)
        .setUri(registry.uri(version).toString())
        .setSha256(registry.manifestSha256(version))
        .setStatus(status)
        .setMetrics(Map.of())
        .setCreatedAt(afterCurrent(registry, at))
        .setReason("test")
        .build();
  }

  /**
   * {@code ms} after the registry's CURRENT was set: a job starting from CURRENT treats what was
   * announced before as history.
   */
  private static Instant afterCurrent(ModelRegistry registry, long ms) throws Exception {
    return registry.currentSince().orElseThrow().plusMillis(ms);
  }

  private static List<String> versions(List<Embedding> out, String id) {
    return out.stream()
        .filter(e -> e.getId().equals(id))
        .map(e -> e.getModelVersion().toString())
        .sorted()
        .toList();
  }

  @Test
  void whileANewVersionIsBackfilledEverySentenceIsEmbeddedByBothAlsoAfterARestore()
      throws Exception {
    ModelRegistry registry = registryServingV1WithV2();
    OperatorSubtaskState checkpoint;
    EmbedOperator first =
        new EmbedOperator("registry", registry.root().toString(), 2, 32, 50, 1, true);
    try (var before = new TwoInputStreamOperatorTestHarness<>(first)) {
      before.open();
      before.processElement2(update(registry, "v1", ModelStatus.FULLY_SERVED, 5), 0);
      before.processElement2(update(registry, "v2", ModelStatus.PROMOTED, 10), 0);
      first.awaitModelLoads(Duration.ofMinutes(2));
      before.processElement1(sentence("a"), 0);
      before.processElement1(sentence("b"), 0); // the batch boundary swaps to v2, v1 kept
      Mails.runUntil(before, () -> before.getOutput().size() >= 4);
      List<Embedding> out = TestHarnessUtil.getRawElementsFromOutput(before.getOutput());
      assertEquals(List.of("v1", "v2"), versions(out, "a"), "dual write: both versions");
      checkpoint = before.snapshot(1, 1);
    }
    EmbedOperator restored =
        new EmbedOperator("registry", registry.root().toString(), 2, 32, 50, 1, true);
    try (var after = new TwoInputStreamOperatorTestHarness<>(restored)) {
      after.initializeState(checkpoint);
      after.open();
      after.processElement1(sentence("c"), 0);
      after.processElement1(sentence("d"), 0);
      Mails.runUntil(after, () -> after.getOutput().size() >= 4);
      List<Embedding> out = TestHarnessUtil.getRawElementsFromOutput(after.getOutput());
      assertEquals(List.of("v1", "v2"), versions(out, "c"), "still both after the restore");
      after.processElement2(update(registry, "v2", ModelStatus.FULLY_SERVED, 20), 0);
      after.processElement1(sentence("e"), 0);
      after.processElement1(sentence("f"), 0);
      Mails.runUntil(after, () -> after.getOutput().size() >= 6);
      out = TestHarnessUtil.getRawElementsFromOutput(after.getOutput());
      assertEquals(List.of("v2"), versions(out, "e"), "v2 fully served: dual writing stopped");
    }
  }

  @Test
  void aPromotionLoadedWhileABatchIsOnTheEncoderSwapsInAfterItNeverInsideIt() throws Exception {
    ModelRegistry registry = registryServingV1WithV2();
    EmbedOperator operator =
        new EmbedOperator("registry", registry.root().toString(), 256, 32, 0, 1);
    try (var harness = new TwoInputStreamOperatorTestHarness<>(operator)) {
      harness.open();
      harness.processElement1(sentence("a"), 0); // on the encoder at once, with v1
      harness.processElement2(update(registry, "v2", ModelStatus.PROMOTED, 10), 0);
      operator.awaitModelLoads(Duration.ofMinutes(2));
      harness.processElement1(sentence("b"), 0); // forms while a is (or was) in flight
      harness.processElement1(sentence("c"), 0);
      Mails.runUntil(harness, () -> harness.getOutput().size() >= 3);
      List<Embedding> out = TestHarnessUtil.getRawElementsFromOutput(harness.getOutput());
      assertEquals(List.of("a", "b", "c"), out.stream().map(e -> e.getId().toString()).toList());
      assertEquals(List.of("v1"), versions(out, "a"), "the batch in flight keeps its model");
      assertEquals(List.of("v2"), versions(out, "b"));
      assertEquals(List.of("v2"), versions(out, "c"));
      // The vectors are each version's own: v1's encoder was not closed under the batch in flight.
      try (var v1 = SentenceEncoder.open(registry.load("v1"));
          var v2 = SentenceEncoder.open(registry.load("v2"))) {
        assertEquals(v1.encode("sentence a").vector()[0], out.get(0).getVector().get(0), 1e-5f);
        assertEquals(v2.encode("sentence b").vector()[0], out.get(1).getVector().get(0), 1e-5f);
      }
    }
  }
}
