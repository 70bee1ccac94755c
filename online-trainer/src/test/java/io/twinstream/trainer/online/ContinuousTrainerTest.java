package io.twinstream.trainer.online;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.trainer.TrainingOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The continuous-learning loop without Flink or Kafka: the trigger and hold-out rules, and
 * announcements that are exactly once across a restart when the publisher is transactional (a test
 * log with the semantics of a Kafka transaction committed on a checkpoint).
 */
class ContinuousTrainerTest {

  @TempDir Path tmp;

  private static final String[][] DOCS = {
    {"reset password", "how to recover access to your account when you forgot the password"},
    {"refund", "money back for a parcel that arrived damaged"},
    {"shipping time", "parcels arrive within three working days"},
    {"cancel plan", "stop the monthly subscription and its billing"},
    {"gateway 503", "the upstream service was unavailable behind the load balancer"},
    {"invoice twice", "a customer was charged two times for one order"}
  };

  /**
   * The publisher of a Flink job in miniature: what is published is pending until the checkpoint
   * after it completes ({@link #commit}), and gone if the job fails first ({@link #abort}).
   */
  static final class TransactionalLog implements ModelUpdatePublisher {
    final List<ModelUpdate> committed = new ArrayList<>();
    final List<ModelUpdate> pending = new ArrayList<>();

    @Override
    public void publish(ModelUpdate update) {
      pending.add(update);
    }

    @Override
    public boolean published(String version) {
      return committed.stream().anyMatch(u -> u.getVersion().equals(version));
    }

    void commit() {
      committed.addAll(pending);
      pending.clear();
    }

    void abort() {
      pending.clear();
    }

    long committedFor(String version) {
      return committed.stream().filter(u -> u.getVersion().equals(version)).count();
    }
  }

  private static TrainerSettings settings(long everyPairs) {
    return settings(everyPairs, "trainer-a");
  }

  private static TrainerSettings settings(long everyPairs, String trainerId) {
    return settings(everyPairs, trainerId, 0);
  }

  private static TrainerSettings settings(long everyPairs, String trainerId, int frozenLayers) {
    return new TrainerSettings(
        1_000,
        0.2,
        5_000,
        400,
        1.0,
        new TrainingTrigger(everyPairs, Duration.ofHours(1), 1),
        "mnrl",
        TrainingOptions.defaults()
            .withBatchSize(8)
            .withEpochs(2)
            .withLearningRate(5e-5)
            .withFrozenLayers(frozenLayers),
        // Not worse is enough: these tests are about announcing and committing promotions, on a
        // task the base model already answers.
        PromotionGate.defaults().withPolicy(PromotionGate.Policy.NOT_WORSE),
        "ft",
        42,
        ModelBundle.DEFAULT,
        trainerId,
        new RoundRetry(2, Duration.ofMillis(100)),
        10_000,
        HardNegativeMiner.DEFAULT_GUARD,
        1_000,
        TrainerSettings.DEFAULT_BRIDGE,
        TrainerSettings.DEFAULT_BRIDGE_TEXTS,
        TrainingMode.FULL,
        io.twinstream.encoder.bridge.AdapterTrainer.defaults());
  }

  /** Clicks on the right document and a skip of the next one, for every query. */
  private static List<Feedback> clicks() {
    List<Feedback> out = new ArrayList<>();
    for (int q = 0; q < DOCS.length; q++) {
      out.add(new Feedback(DOCS[q][0], DOCS[q][1], 1f, q));
      out.add(new Feedback(DOCS[q][0], DOCS[(q + 1) % DOCS.length][1], 0f, q));
    }
    return out;
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

  private ContinuousTrainer trainer(
      ModelRegistry registry, ModelUpdatePublisher publisher, TrainerState state, long everyPairs)
      throws Exception {
    return new ContinuousTrainer(
        settings(everyPairs),
        registry,
        FeedbackExamples.evaluator(clicks(), Map.of()),
        publisher,
        state,
        null,
        0L);
  }

  /** Waits for the running round and collects it. */
  private static RoundReport finish(ContinuousTrainer trainer) throws Exception {
    trainer.awaitRound();
    Optional<RoundReport> report = trainer.poll();
    assertTrue(report.isPresent(), "the round finished");
    return report.get();
  }

  @Test
  void aDueRoundWaitsForAHeldOutClickThenStarts() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    try (ContinuousTrainer trainer =
        new ContinuousTrainer(
            settings(4), registry, null, new TransactionalLog(), null, null, 0L)) {
      String trained = anchor(false, 0);
      for (int i = 0; i < 4; i++) {
        trainer.offer(new Feedback(trained, "doc " + i, i == 0 ? 1f : 0f, i));
      }
      String heldOutAnchor = anchor(true, 0);
      trainer.offer(new Feedback(heldOutAnchor, "a skipped doc", 0f, 5));
      assertFalse(trainer.maybeStart(1_000), "due, but nothing held out to evaluate on");
      assertFalse(trainer.roundRunning());
      trainer.offer(new Feedback(heldOutAnchor, "the clicked doc", 1f, 6));
      assertTrue(
          trainer.maybeStart(2_100),
          "a held-out click makes the round startable (rechecked after 1 s)");
      assertTrue(trainer.roundRunning());
      assertEquals("ft-0001", trainer.version(1));
      assertTrue(trainer.snapshot(1).roundRunning(), "a checkpoint now would redo the round");
      assertEquals(0, trainer.snapshot(1).newPairs());
    }
  }

  @Test
  void withFrozenLayersARoundReadsTheirKeptStatesAndClosingTheTrainerDeletesTheirFile()
      throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    Set<Path> before = hiddenStateFiles();
    ContinuousTrainer trainer =
        new ContinuousTrainer(
            settings(clicks().size(), "trainer-a", 3),
            registry,
            FeedbackExamples.evaluator(clicks(), Map.of()),
            new TransactionalLog(),
            null,
            null,
            0L);
    try (trainer) {
      clicks().forEach(trainer::offer);
      assertTrue(trainer.maybeStart(1));
      RoundReport report = finish(trainer);
      assertTrue(
          report.metrics().containsKey(FineTuningRound.LOWER_COMPUTED),
          report.metrics().keySet().toString());
      Set<Path> during = hiddenStateFiles();
      during.removeAll(before);
      assertEquals(1, during.size(), "the trainer keeps one file of hidden states");
    }
    Set<Path> after = hiddenStateFiles();
    after.removeAll(before);
    assertEquals(Set.of(), after, "closed with no round running, the trainer deleted its file");
  }

  private static Set<Path> hiddenStateFiles() throws IOException {
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files
          .filter(f -> f.getFileName().toString().startsWith("twinstream-hidden-states-"))
          .collect(Collectors.toCollection(HashSet::new));
    }
  }

  @Test
  void aFreshTrainerNumbersItsRoundsAfterThoseInTheRegistry() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT);
    registry.publish(base.withVersion("ft-0007", null));
    registry.publish(base.withVersion("other-0009", null));
    try (ContinuousTrainer trainer = trainer(registry, new TransactionalLog(), null, 4)) {
      assertEquals(8, trainer.snapshot(1).round());
    }
  }

  @Test
  void aPromotionIsAnnouncedOnPollAndBecomesCurrentWhenTheCheckpointAfterItCompletes()
      throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    TransactionalLog log = new TransactionalLog();
    try (ContinuousTrainer trainer = trainer(registry, log, null, clicks().size())) {
      clicks().forEach(trainer::offer);
      assertTrue(trainer.maybeStart(1));
      RoundReport report = finish(trainer);
      assertTrue(report.promoted(), report.reason());
      assertEquals(ModelStatus.PROMOTED, log.pending.get(0).getStatus());
      assertTrue(registry.current().isEmpty(), "not current before its announcement is committed");

      TrainerState state = trainer.snapshot(7);
      assertEquals(List.of("ft-0001"), state.announcedPromotions());
      trainer.checkpointCompleted(6);
      assertTrue(registry.current().isEmpty(), "an earlier checkpoint does not cover it");
      log.commit();
      trainer.checkpointCompleted(7);
      assertEquals(Optional.of("ft-0001"), registry.current());
      assertEquals(List.of(), trainer.snapshot(8).announcedPromotions());
    }
  }

  @Test
  void aRestartBetweenAnnouncementAndCheckpointAnnouncesTheRoundExactlyOnce() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    TransactionalLog log = new TransactionalLog();
    TrainerState duringRound;
    try (ContinuousTrainer first = trainer(registry, log, null, clicks().size())) {
      clicks().forEach(first::offer);
      assertTrue(first.maybeStart(1));
      duringRound = first.snapshot(1); // checkpoint 1 completes with the round running
      log.commit();
      first.checkpointCompleted(1);
      finish(first); // announced into checkpoint 2's transaction ...
      assertEquals(1, log.pending.size());
    }
    log.abort(); // ... which never completes: the job fails

    try (ContinuousTrainer second = trainer(registry, log, duringRound, clicks().size())) {
      RoundReport redone = finish(second);
      assertTrue(redone.recovered(), "read back from the registry, not trained again");
      assertTrue(redone.promoted());
      assertEquals(
          "ft-0001",
          redone.update().getVersion(),
          "announced again: the first announcement was lost");
      second.snapshot(2);
      log.commit();
      second.checkpointCompleted(2);
    }
    assertEquals(1, log.committedFor("ft-0001"));
    assertEquals(Optional.of("ft-0001"), registry.current());

    // Restored once more from the same old checkpoint: the round is read back, and announced no
    // more.
    try (ContinuousTrainer third = trainer(registry, log, duringRound, clicks().size())) {
      RoundReport again = finish(third);
      assertTrue(again.recovered());
      assertNull(again.update(), "committed already");
      assertTrue(log.pending.isEmpty());
    }
    assertEquals(1, log.committedFor("ft-0001"));
  }

  @Test
  void promotionsCommittedWithTheRestoredCheckpointBecomeCurrentOnRestore() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    TransactionalLog log = new TransactionalLog();
    TrainerState afterAnnouncement;
    try (ContinuousTrainer trainer = trainer(registry, log, null, clicks().size())) {
      clicks().forEach(trainer::offer);
      assertTrue(trainer.maybeStart(1));
      finish(trainer);
      afterAnnouncement = trainer.snapshot(3);
      log.commit(); // checkpoint 3 completes, but the job fails before it hears so
    }
    assertTrue(registry.current().isEmpty());
    try (ContinuousTrainer restored = trainer(registry, log, afterAnnouncement, clicks().size())) {
      assertEquals(Optional.of("ft-0001"), registry.current());
      assertFalse(restored.roundRunning());
      assertEquals(List.of("ft-0001"), registry.history());
    }
    try (ContinuousTrainer again = trainer(registry, log, afterAnnouncement, clicks().size())) {
      assertEquals(List.of("ft-0001"), registry.history(), "made current once");
    }
  }

  @Test
  void aVersionMadeByAnotherTrainerWithTheSamePrefixIsNeverTakenOver() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    TransactionalLog log = new TransactionalLog();
    TrainerState running;
    try (ContinuousTrainer a = trainer(registry, log, null, clicks().size())) {
      clicks().forEach(a::offer);
      assertTrue(a.maybeStart(1));
      running = a.snapshot(1);
      finish(a); // trainer-a publishes ft-0001
    }
    List<Throwable> failures = new ArrayList<>();
    RoundObserver observer =
        new RoundObserver() {
          @Override
          public void roundFailed(String version, Throwable error) {
            failures.add(error);
          }
        };
    // Trainer b, restored from a state in which round ft-0001 runs (same prefix, another identity).
    try (ContinuousTrainer b =
        new ContinuousTrainer(
            settings(clicks().size(), "trainer-b"),
            registry,
            FeedbackExamples.evaluator(clicks(), Map.of()),
            log,
            running,
            observer,
            0L)) {
      b.awaitRound();
      assertTrue(b.poll().isEmpty(), "the round fails");
      assertEquals(1, failures.size());
      assertTrue(
          failures.get(0).getMessage().contains("was made by trainer 'trainer-a', not by this one"),
          failures.get(0).getMessage());
    }
    assertTrue(log.pending.size() == 1 && log.committed.isEmpty(), "b announced nothing");
  }

  @Test
  void aRoundThatFailsOnIoIsTriedAgainAsTheSameRoundAfterABackoff() throws Exception {
    Path root = tmp.resolve("registry");
    Path away = tmp.resolve("registry-away");
    ModelRegistry registry = ModelRegistry.open(root);
    TransactionalLog log = new TransactionalLog();
    List<Throwable> failures = new ArrayList<>();
    RoundObserver observer =
        new RoundObserver() {
          @Override
          public void roundFailed(String version, Throwable error) {
            failures.add(error);
          }
        };
    try (ContinuousTrainer trainer =
        new ContinuousTrainer(
            settings(clicks().size()),
            registry,
            FeedbackExamples.evaluator(clicks(), Map.of()),
            log,
            null,
            observer,
            0L)) {
      clicks().forEach(trainer::offer);
      assertTrue(trainer.maybeStart(1));
      Files.move(root, away); // the registry's share goes away while the round trains
      trainer.awaitRound();
      assertTrue(trainer.poll().isEmpty(), "the round cannot publish its candidate");
      assertTrue(trainer.retryPending());
      assertTrue(
          failures.get(0).getMessage().contains("registry root is not there"), "" + failures);
      assertFalse(Files.exists(root), "the registry is not recreated in its absence");
      assertTrue(trainer.snapshot(2).roundRunning(), "a checkpoint now would redo the round");

      assertFalse(trainer.maybeStart(10), "the backoff starts counting");
      assertFalse(trainer.maybeStart(50), "100 ms have not passed");
      Files.move(away, root); // back
      assertTrue(trainer.maybeStart(110), "tried again after the backoff, trigger or not");
      RoundReport report = finish(trainer);
      assertEquals("ft-0001", report.version(), "the same round");
      assertTrue(report.promoted(), report.reason());
      assertEquals(1, trainer.roundsFailed());
      assertFalse(trainer.retryPending());
      assertEquals(
          Optional.of("ft-0001"), registry.list().stream().map(m -> m.version()).findFirst());
    }
  }

  @Test
  void aRoundIsTriedAgainAtMostTheConfiguredNumberOfTimes() {
    RoundRetry retry = new RoundRetry(3, Duration.ofSeconds(10));
    assertEquals(Duration.ofSeconds(10), retry.delay(1));
    assertEquals(Duration.ofSeconds(40), retry.delay(3));
    assertEquals(Duration.ofMinutes(10), retry.delay(30), "capped");
    assertTrue(ContinuousTrainer.onIo(new UncheckedIOException(new IOException("nfs"))));
    assertFalse(ContinuousTrainer.onIo(new IllegalStateException("another trainer's version")));
  }
}
