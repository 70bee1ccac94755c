package io.twinstream.embedder.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.TrainerOptions;
import io.twinstream.trainer.online.Feedback;
import io.twinstream.trainer.online.ReplayBuffer;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class TrainerStateTest {

  @Test
  void theCheckpointedStateRoundTripsAndRestoresTheSameBuffer() throws Exception {
    ReplayBuffer buffer = new ReplayBuffer(50, 0.3, 10);
    for (int i = 0; i < 80; i++) {
      buffer.offer(new Feedback("query \"" + (i % 13) + "\" ünïcode", "doc\t" + i, i % 3 == 0 ? 1f : 0.25f, 1000L + i));
    }
    ContinuousTrainer.State state = new ContinuousTrainer.State(buffer.snapshot(), 7, 12, 123456789L, true);
    ContinuousTrainer.State back = TrainerStateCodec.decode(TrainerStateCodec.encode(state));
    assertEquals(state, back);
    ReplayBuffer restored = ReplayBuffer.restore(back.buffer(), 50, 0.3, 10);
    assertEquals(buffer.snapshot(), restored.snapshot());
    assertEquals(buffer.sample(20, 3), restored.sample(20, 3));
  }

  @Test
  void settingsNeedARegistryAndRejectUnusableValuesByName() {
    Configuration conf = new Configuration();
    conf.set(TrainerOptions.ENABLED, true);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ContinuousTrainer.Settings.from(conf));
    assertTrue(e.getMessage().contains("model.registry"), e.getMessage());
    conf.set(EmbedderOptions.MODEL_REGISTRY, "/tmp/registry");
    conf.set(TrainerOptions.HOLDOUT_SHARE, 1.0);
    e = assertThrows(IllegalArgumentException.class, () -> ContinuousTrainer.Settings.from(conf));
    assertTrue(e.getMessage().contains("trainer.holdout-share"), e.getMessage());
    conf.set(TrainerOptions.HOLDOUT_SHARE, 0.2);
    conf.set(TrainerOptions.EVAL_CORPUS, "corpus.jsonl");
    e = assertThrows(IllegalArgumentException.class, () -> ContinuousTrainer.Settings.from(conf));
    assertTrue(e.getMessage().contains("go together"), e.getMessage());
    conf.set(TrainerOptions.EVAL_CORPUS, "");
    conf.set(TrainerOptions.LOSS, "nonsense");
    e = assertThrows(IllegalArgumentException.class, () -> ContinuousTrainer.Settings.from(conf));
    assertTrue(e.getMessage().contains("unknown loss 'nonsense'"), e.getMessage());
    conf.set(TrainerOptions.LOSS, "mnrl");
    conf.set(TrainerOptions.EVERY, Duration.ofMinutes(3));
    ContinuousTrainer.Settings settings = ContinuousTrainer.Settings.from(conf);
    assertEquals(Duration.ofMinutes(3), settings.trigger().every());
    assertEquals(1000L, settings.trigger().everyPairs());
  }
}
