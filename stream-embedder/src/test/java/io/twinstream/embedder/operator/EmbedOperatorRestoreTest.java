package io.twinstream.embedder.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.twinstream.encoder.ModelBundle;
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

/** The embedding operator's state across a restore, in Flink's operator test harness. */
class EmbedOperatorRestoreTest {

  @TempDir Path tmp;

  private static EmbedOperator operator(ModelRegistry registry) {
    return new EmbedOperator("registry", registry.root().toString(), 2, 32, 50, 1);
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
    TrustedRecords.install();
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT_INT8);
    registry.publish(base.withVersion("v1", null));
    registry.publish(TestBundles.perturbed(base, "v2", 1.5f));
    registry.setCurrent("v1");
    ModelUpdate promoted =
        ModelUpdate.newBuilder()
            .setVersion("v2")
            .setParentVersion("v1")
            .setUri(registry.uri("v2").toString())
            .setSha256(registry.manifestSha256("v2"))
            .setStatus(ModelStatus.PROMOTED)
            .setMetrics(Map.of())
            .setCreatedAt(Instant.ofEpochMilli(10))
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
      List<Embedding> out = TestHarnessUtil.getRawElementsFromOutput(after.getOutput());
      String version = out.get(out.size() - 1).getModelVersion();
      assertEquals("v2", version, "the promotion pending at the checkpoint serves after restore");
    }
  }
}
