package io.twinstream.streamtrainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.embedder.JobOptions;
import io.twinstream.trainer.BatchSampler;
import io.twinstream.trainer.online.PromotionGate;
import io.twinstream.trainer.online.TrainerSettings;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class TrainerOptionsTest {

  @Test
  void settingsNeedARegistryAndRejectUnusableValuesByName() {
    Configuration conf = new Configuration();
    conf.set(TrainerOptions.ENABLED, true);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TrainerOptions.settings(conf));
    assertTrue(e.getMessage().contains("model.registry"), e.getMessage());
    conf.set(JobOptions.MODEL_REGISTRY, "/tmp/registry");
    conf.set(TrainerOptions.HOLDOUT_SHARE, 1.0);
    e = assertThrows(IllegalArgumentException.class, () -> TrainerOptions.settings(conf));
    assertTrue(e.getMessage().contains("trainer.holdout-share"), e.getMessage());
    conf.set(TrainerOptions.HOLDOUT_SHARE, 0.2);
    conf.set(TrainerOptions.EVAL_CORPUS, "corpus.jsonl");
    e = assertThrows(IllegalArgumentException.class, () -> TrainerOptions.settings(conf));
    assertTrue(e.getMessage().contains("go together"), e.getMessage());
    conf.set(TrainerOptions.EVAL_CORPUS, "");
    conf.set(TrainerOptions.LOSS, "nonsense");
    e = assertThrows(IllegalArgumentException.class, () -> TrainerOptions.settings(conf));
    assertTrue(e.getMessage().contains("unknown loss 'nonsense'"), e.getMessage());
    conf.set(TrainerOptions.LOSS, "mnrl");
    conf.set(TrainerOptions.SLOT_SHARING_GROUP, " ");
    e = assertThrows(IllegalArgumentException.class, () -> TrainerOptions.settings(conf));
    assertTrue(e.getMessage().contains("trainer.slot-sharing-group"), e.getMessage());
    conf.set(TrainerOptions.SLOT_SHARING_GROUP, "gpu");
    conf.set(TrainerOptions.ACTIVATION_BUDGET, 0);
    e = assertThrows(IllegalArgumentException.class, () -> TrainerOptions.settings(conf));
    assertTrue(e.getMessage().contains("trainer.activation-budget"), e.getMessage());
    conf.set(TrainerOptions.ACTIVATION_BUDGET, 384);
    conf.set(TrainerOptions.EVERY, Duration.ofMinutes(3));
    TrainerSettings settings = TrainerOptions.settings(conf);
    assertEquals(Duration.ofMinutes(3), settings.trigger().every());
    assertEquals(500L, settings.trigger().everyPairs());
    assertEquals("default", settings.initialModel());
    assertEquals(384, settings.training().activationBudgetMiB());
    assertEquals(5e-5, settings.training().learningRate());
    assertEquals(2, settings.training().frozenLayers());
    assertEquals(BatchSampler.NO_DUPLICATES, settings.training().batchSampler());
    assertEquals(PromotionGate.Policy.BETTER, settings.gate().policy());
    conf.setString("trainer.batch-sampler", "random");
    e = assertThrows(IllegalArgumentException.class, () -> TrainerOptions.settings(conf));
    assertTrue(e.getMessage().startsWith("Option trainer.batch-sampler: "), e.getMessage());
    conf.setString("trainer.batch-sampler", "shuffle");
    conf.set(TrainerOptions.GATE_CONFIDENCE, 1.0);
    e = assertThrows(IllegalArgumentException.class, () -> TrainerOptions.settings(conf));
    assertTrue(e.getMessage().contains("trainer.gate.confidence"), e.getMessage());
    conf.set(TrainerOptions.GATE_CONFIDENCE, 0.8);
    conf.set(TrainerOptions.REPLAY_SHARE, 1.5);
    e = assertThrows(IllegalArgumentException.class, () -> TrainerOptions.settings(conf));
    assertTrue(e.getMessage().contains("trainer.replay-share"), e.getMessage());
  }
}
