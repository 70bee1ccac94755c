package io.twinstream.embedder.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.TrainerOptions;
import io.twinstream.embedder.model.ModelUpdates;
import io.twinstream.encoder.ModelRegistry;
import io.twinstream.trainer.online.Feedback;
import io.twinstream.trainer.online.ReplayBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer's trigger and hold-out rules, without a broker: no round reaches the point of announcing. */
class ContinuousTrainerTest {

  @TempDir
  Path tmp;

  private ContinuousTrainer trainer(ModelRegistry registry) throws Exception {
    Configuration conf = new Configuration();
    conf.set(TrainerOptions.ENABLED, true);
    conf.set(EmbedderOptions.MODEL_REGISTRY, registry.root().toString());
    conf.set(TrainerOptions.EVERY_PAIRS, 4L);
    ModelUpdates updates = new ModelUpdates(registry, "default", Map.of("bootstrap.servers", "127.0.0.1:1"),
        "model-updates");
    return new ContinuousTrainer(ContinuousTrainer.Settings.from(conf), registry, updates, null, null, null, 0L);
  }

  /** An anchor whose feedback lands on the wanted side of a 20% hold-out. */
  private static String anchor(boolean heldOut, int from) {
    for (int i = from; ; i++) {
      ReplayBuffer probe = new ReplayBuffer(10, 0.2, 10);
      String a = "query " + i;
      if ((probe.offer(new Feedback(a, "d", 1f, 0)) == ReplayBuffer.Outcome.HELD_OUT) == heldOut) {
        return a;
      }
    }
  }

  @Test
  void aDueRoundWaitsForAHeldOutClickThenStarts() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    try (ContinuousTrainer trainer = trainer(registry)) {
      String trained = anchor(false, 0);
      for (int i = 0; i < 4; i++) {
        trainer.offer(new Feedback(trained, "doc " + i, i == 0 ? 1f : 0f, i));
      }
      String heldOutAnchor = anchor(true, 0);
      trainer.offer(new Feedback(heldOutAnchor, "a skipped doc", 0f, 5));
      assertFalse(trainer.maybeStart(1_000), "due, but nothing held out to evaluate on");
      assertFalse(trainer.roundRunning());
      trainer.offer(new Feedback(heldOutAnchor, "the clicked doc", 1f, 6));
      assertTrue(trainer.maybeStart(2_100), "a held-out click makes the round startable (rechecked after 1 s)");
      assertTrue(trainer.roundRunning());
      assertEquals("ft-0001", trainer.version(1));
      assertTrue(trainer.snapshot().roundRunning(), "a checkpoint now would redo the round");
      assertEquals(0, trainer.snapshot().newPairs());
    }
  }

  @Test
  void aFreshTrainerNumbersItsRoundsAfterThoseInTheRegistry() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    io.twinstream.encoder.ModelBundle base = io.twinstream.encoder.ModelBundle.builtin("default");
    registry.publish(base.withVersion("ft-0007", null));
    registry.publish(base.withVersion("other-0009", null));
    try (ContinuousTrainer trainer = trainer(registry)) {
      assertEquals(8, trainer.snapshot().round());
    }
  }
}
