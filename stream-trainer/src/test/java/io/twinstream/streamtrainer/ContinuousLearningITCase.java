package io.twinstream.streamtrainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.embedder.JobEnvironment;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.SentenceStreamHook;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.records.DeadLetter;
import io.twinstream.records.Embedding;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.TrustedRecords;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.KafkaRecords;
import io.twinstream.testkit.TopicTail;
import io.twinstream.trainer.online.ContinuousTrainer;
import io.twinstream.trainer.online.Feedback;
import io.twinstream.trainer.online.ReplayBuffer;
import io.twinstream.trainer.online.RoundObserver;
import io.twinstream.trainer.online.RoundReport;
import io.twinstream.trainer.task.DomainTask;
import io.twinstream.trainer.task.RetrievalTask;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.CommonTestUtils;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuous learning in the job, with the in-JVM broker and a MiniCluster: feedback promotes a
 * fine-tuned version that every sentence is then embedded by exactly once; a harmful round is
 * rejected and never serves, is redone after a restart in its middle without losing buffered
 * feedback, and is not trained twice; and a restart between a round's announcement and the
 * checkpoint that would commit it announces it exactly once. Nothing here sleeps: rounds are seen
 * through the trainer's observer, topics through tails that wait on Kafka's poll, absences by
 * reading to the end offsets.
 */
class ContinuousLearningITCase {

  private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(4)
              .setConfiguration(METRICS.addToConfiguration(new Configuration()))
              .build());

  private static final Duration WAIT = Duration.ofSeconds(Long.getLong("it.wait", 240));
  private static final int SHOWN = 5;

  @TempDir Path tmp;

  /**
   * Holds the first round it sees until released; hands every report and every CURRENT move to the
   * test.
   */
  static final class Rounds implements RoundObserver {
    private static final long serialVersionUID = 1L;
    static volatile CountDownLatch started = new CountDownLatch(1);
    static volatile CountDownLatch release = new CountDownLatch(0);
    static final BlockingQueue<RoundReport> REPORTS = new LinkedBlockingQueue<>();
    static final BlockingQueue<String> MADE_CURRENT = new LinkedBlockingQueue<>();

    static void reset(boolean hold) {
      started = new CountDownLatch(1);
      release = new CountDownLatch(hold ? 1 : 0);
      REPORTS.clear();
      MADE_CURRENT.clear();
    }

    @Override
    public void roundStarted(String version) {
      started.countDown();
      try {
        release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void roundFinished(RoundReport report) {
      REPORTS.add(report);
    }

    @Override
    public void madeCurrent(String version) {
      MADE_CURRENT.add(version);
    }

    static RoundReport nextReport() throws InterruptedException {
      RoundReport report = REPORTS.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertNotNull(report, "no round finished within " + WAIT);
      return report;
    }
  }

  /** The job's topics on {@code kafka} (model-updates compacted) and an empty registry. */
  private ModelRegistry topicsAndRegistry(EmbeddedKafka kafka) throws Exception {
    kafka.createTopics(
        Map.of("sentences", 1, "embeddings", 1, "dead-letters", 1, "feedback-pairs", 1), Map.of());
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    new KafkaModelUpdates(
            registry,
            "default",
            Map.of("bootstrap.servers", kafka.bootstrapServers()),
            "model-updates")
        .ensureTopic();
    return registry;
  }

  private Configuration conf(
      String bootstrap, ModelRegistry registry, RetrievalTask task, List<String> dev)
      throws Exception {
    task.writeBeir(tmp.resolve("dev"), dev);
    Configuration conf = new Configuration();
    conf.set(JobOptions.BOOTSTRAP_SERVERS, bootstrap);
    conf.set(JobOptions.MODEL, "default");
    conf.set(JobOptions.MODEL_REGISTRY, registry.root().toString());
    conf.set(JobOptions.START_POSITION, JobOptions.StartPosition.EARLIEST);
    conf.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
    conf.set(JobOptions.CHECKPOINT_DIR, tmp.resolve("checkpoints").toString());
    conf.set(JobOptions.RESTART_ATTEMPTS, 0);
    conf.set(TrainerOptions.ENABLED, true);
    conf.set(TrainerOptions.EVAL_CORPUS, tmp.resolve("dev/corpus.jsonl").toString());
    conf.set(TrainerOptions.EVAL_QUERIES, tmp.resolve("dev/queries.jsonl").toString());
    conf.set(TrainerOptions.EVAL_QRELS, tmp.resolve("dev/qrels.tsv").toString());
    conf.set(TrainerOptions.EVERY, Duration.ofHours(1));
    // The generated dialect's made-up words are new word pieces: only the embeddings learn them.
    conf.set(TrainerOptions.FROZEN_LAYERS, 0);
    return conf;
  }

  /** Settings under which the users' feedback of {@link #feedback} promotes a round. */
  private static void promoting(Configuration conf, List<FeedbackPair> feedback) {
    conf.set(TrainerOptions.EVERY_PAIRS, (long) feedback.size());
    conf.set(TrainerOptions.LEARNING_RATE, 1e-4);
    conf.set(TrainerOptions.BATCH_SIZE, 16);
    conf.set(TrainerOptions.EPOCHS, 2);
  }

  /** nDCG@10 of {@code version} on the task's test queries, which no trainer and no gate saw. */
  private static double test(
      ModelRegistry registry, String version, RetrievalTask task, RetrievalTask.Split split)
      throws Exception {
    ModelBundle bundle =
        version == null ? ModelBundle.builtin(ModelBundle.DEFAULT) : registry.load(version);
    try (SentenceEncoder encoder = SentenceEncoder.open(bundle, EncoderOptions.defaults())) {
      return task.evaluator(split.test())
          .evaluate(
              texts ->
                  encoder.encode(texts).stream()
                      .map(SentenceEmbedding::vector)
                      .toArray(float[][]::new))
          .primaryValue();
    }
  }

  @Test
  void aHarmfulRoundInterruptedByARestartIsRedoneFromStateRejectedNeverServesAndIsNotTrainedTwice(
      @InjectMiniCluster MiniCluster cluster) throws Exception {
    TrustedRecords.install();
    RetrievalTask task = DomainTask.generate(8, 4, 2, 23);
    RetrievalTask.Split split = task.split(0.2, 23);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      ModelRegistry registry = topicsAndRegistry(kafka);
      // Users who click a document unrelated to their question and skip the one it is about: learnt
      // hard, this can only hurt the true judgements.
      List<FeedbackPair> harmful =
          feedback(task, split.traffic(), ModelBundle.builtin(ModelBundle.DEFAULT), true);
      Configuration conf = conf(bootstrap, registry, task, split.dev());
      conf.set(TrainerOptions.EVERY_PAIRS, (long) harmful.size());
      conf.set(TrainerOptions.LEARNING_RATE, 2e-4);
      conf.set(TrainerOptions.BATCH_SIZE, 8);
      conf.set(TrainerOptions.EPOCHS, 4);

      // Job A: the round starts and is held; a savepoint is taken in its middle; the job is
      // cancelled.
      Rounds.reset(true);
      JobClient a = start(conf, null);
      String savepoint;
      try {
        KafkaRecords.produce(bootstrap, "feedback-pairs", harmful, FeedbackPair::getAnchorId);
        assertTrue(Rounds.started.await(WAIT.toSeconds(), TimeUnit.SECONDS), "round started");
        savepoint = savepoint(cluster, a);
      } finally {
        a.cancel().get();
      }
      Rounds.release.countDown(); // the abandoned round resumes, sees the trainer closed, and stops
      assertTrue(
          KafkaRecords.readCommitted(bootstrap, "model-updates").isEmpty(),
          "job A announced nothing");

      // Job B from the savepoint: the buffer comes back from state (the feedback offsets are past
      // it), the round
      // is redone and the gate rejects it.
      JobClient b = start(conf, savepoint);
      try (TopicTail updates = new TopicTail(bootstrap, "model-updates");
          TopicTail embeddings = new TopicTail(bootstrap, "embeddings")) {
        ModelUpdate update = awaitUpdate(updates, "ft-0001", b);
        assertEquals(ModelStatus.REJECTED, update.getStatus());
        assertEquals(0.0, update.getMetrics().get("gate/promoted"), update.getReason());
        // Rightly: on test queries the gate never saw, the candidate is worse than the base.
        double candidate = test(registry, "ft-0001", task, split);
        double before = test(registry, null, task, split);
        assertTrue(candidate < before - 0.05, "test nDCG@10 " + before + " -> " + candidate);
        ReplayBuffer expected =
            new ReplayBuffer(
                TrainerOptions.BUFFER_CAPACITY.defaultValue(),
                TrainerOptions.HOLDOUT_SHARE.defaultValue(),
                TrainerOptions.HALF_LIFE.defaultValue());
        harmful.forEach(
            f -> expected.offer(new Feedback(f.getAnchor(), f.getCandidate(), f.getLabel(), 0)));
        assertEquals(
            (double) harmful.size(), update.getMetrics().get(ContinuousTrainer.BUFFER_RECEIVED));
        assertEquals(
            (double) expected.trainingSize(),
            update.getMetrics().get(ContinuousTrainer.BUFFER_TRAINING));
        assertEquals(
            (double) expected.heldOutSize(),
            update.getMetrics().get(ContinuousTrainer.BUFFER_HELD_OUT));

        // It never serves: the registry has no current version, and sentences are embedded by the
        // base model.
        assertTrue(registry.current().isEmpty());
        KafkaRecords.produceSentences(bootstrap, "sentences", task.corpus());
        List<Embedding> all =
            embeddings.await(
                Embedding.class,
                WAIT,
                list ->
                    versionsOfCorpus(list, task).values().stream().mapToInt(Integer::intValue).sum()
                        == task.corpus().size(),
                () -> alive(b));
        String base = ModelBundle.builtin(ModelBundle.DEFAULT).version();
        assertEquals(Map.of(base, task.corpus().size()), versionsOfCorpus(all, task));
      } finally {
        b.cancel().get();
      }

      // Job C from the same savepoint: round ft-0001 is in the registry already, so it is read
      // back, not trained,
      // and not announced again: its REJECTED is committed.
      Rounds.reset(false);
      JobClient c = start(conf, savepoint);
      try {
        RoundReport report = Rounds.nextReport();
        assertEquals("ft-0001", report.version());
        assertTrue(report.recovered(), "read back, not trained again");
        assertFalse(report.promoted());
        assertNull(report.update(), "announced before: not again");
        assertEquals(1L, Rounds.started.getCount(), "no training started");
      } finally {
        c.cancel().get();
      }
      assertEquals(
          1,
          KafkaRecords.readCommitted(bootstrap, "model-updates").size(),
          "one update for the version");
    }
  }

  /**
   * Feedback promotes a version, every sentence is embedded exactly once per serving version, and
   * the promotion is announced exactly once although the job fails between announcing it and the
   * checkpoint that would have committed it.
   */
  @Test
  void feedbackPromotesAVersionAnnouncedExactlyOnceAcrossARestartBeforeItsCheckpoint(
      @InjectMiniCluster MiniCluster cluster) throws Exception {
    TrustedRecords.install();
    RetrievalTask task = DomainTask.generate(8, 4, 2, 17);
    RetrievalTask.Split split = task.split(0.2, 17);
    String base = ModelBundle.builtin(ModelBundle.DEFAULT).version();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      ModelRegistry registry = topicsAndRegistry(kafka);
      List<FeedbackPair> feedback =
          feedback(task, split.traffic(), ModelBundle.builtin(ModelBundle.DEFAULT), false);
      Configuration conf = conf(bootstrap, registry, task, split.dev());
      promoting(conf, feedback);

      // Job A checkpoints only when asked. It embeds the corpus with the base model, dead-letters
      // one record
      // that is no FeedbackPair, and starts a round; a savepoint is taken while the round runs (it
      // commits
      // what came before). Then the round finishes and is announced into a transaction that no
      // checkpoint
      // ever commits, because the job is cancelled first.
      Configuration rarely = new Configuration(conf);
      rarely.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofHours(1));
      // A transaction may stay open until a checkpoint succeeds: the job refuses a shorter timeout.
      rarely.set(JobOptions.TRANSACTION_TIMEOUT, Duration.ofHours(6));
      Rounds.reset(true);
      JobClient a = start(rarely, null);
      String savepoint;
      try {
        KafkaRecords.produceSentences(bootstrap, "sentences", prefixed("a:", task.corpus()));
        KafkaRecords.produceRaw(bootstrap, "feedback-pairs", null, "not avro".getBytes());
        KafkaRecords.produce(bootstrap, "feedback-pairs", feedback, FeedbackPair::getAnchorId);
        assertTrue(Rounds.started.await(WAIT.toSeconds(), TimeUnit.SECONDS), "round started");
        savepoint = savepoint(cluster, a);
        Rounds.release.countDown();
        RoundReport announced = Rounds.nextReport();
        assertTrue(announced.promoted(), announced.reason());
        assertNotNull(announced.update(), "announced, into the open transaction");
      } finally {
        a.cancel().get();
      }
      assertTrue(
          KafkaRecords.readCommitted(bootstrap, "model-updates").isEmpty(), "never committed");
      assertTrue(registry.current().isEmpty(), "so not current either");
      assertTrue(
          registry.list().stream().anyMatch(m -> m.version().equals("ft-0001")), "but published");

      // Job B from the savepoint: the round had finished, so it is read back and announced again,
      // once;
      // it becomes CURRENT once that announcement is committed, and serves.
      Rounds.reset(false);
      JobClient b = start(conf, savepoint);
      try (TopicTail updates = new TopicTail(bootstrap, "model-updates");
          TopicTail embeddings = new TopicTail(bootstrap, "embeddings")) {
        RoundReport redone = Rounds.nextReport();
        assertTrue(redone.recovered(), "read back from the registry, not trained again");
        assertNotNull(redone.update(), "announced: the first announcement was lost");
        assertEquals(1L, Rounds.started.getCount(), "no training started");
        ModelUpdate update = awaitUpdate(updates, "ft-0001", b);
        assertEquals(ModelStatus.PROMOTED, update.getStatus(), update.getReason());
        assertEquals(base, update.getParentVersion());
        assertTrue(
            update.getMetrics().containsKey("fixed/ndcg@10"), update.getMetrics().toString());
        assertEquals("ft-0001", Rounds.MADE_CURRENT.poll(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertEquals("ft-0001", registry.current().orElseThrow());

        // Once the embedder serves it, stream the corpus again (the backfill's stand-in), under new
        // ids: every
        // record sent, before the restart or after, comes out exactly once, embedded by its
        // version.
        awaitServing(bootstrap, embeddings, "ft-0001", b);
        KafkaRecords.produceSentences(bootstrap, "sentences", prefixed("b:", task.corpus()));
        List<Embedding> all =
            embeddings.await(
                Embedding.class,
                WAIT,
                list -> withPrefix(list, "b:").size() == task.corpus().size(),
                () -> alive(b));
        for (String prefix : List.of("a:", "b:")) {
          List<Embedding> pass = withPrefix(all, prefix);
          assertEquals(
              prefixed(prefix, task.corpus()).keySet(),
              pass.stream().map(Embedding::getId).collect(Collectors.toSet()),
              prefix + " every document");
          assertEquals(task.corpus().size(), pass.size(), prefix + " exactly once");
        }
        assertEquals(
            Set.of("ft-0001"),
            withPrefix(all, "b:").stream()
                .map(Embedding::getModelVersion)
                .collect(Collectors.toSet()));
        assertVectorsAre(registry, task, all);

        List<DeadLetter> dead =
            KafkaRecords.readCommitted(bootstrap, "dead-letters", DeadLetter.class);
        assertEquals(1, dead.size());
        assertEquals("feedback-pairs", dead.get(0).getTopic());
        assertEquals("decode-feedback", dead.get(0).getStage());

        // The trainer's metrics, as a reporter sees them (the buffer came back from the savepoint).
        assertEquals(1L, gauge(b, "roundsPromoted"));
        assertEquals(0L, gauge(b, "roundsRejected"));
        assertEquals((long) feedback.size(), gauge(b, "feedbackReceived"));
        assertEquals(0, gauge(b, "roundRunning"));
        assertEquals(
            update.getMetrics().get("gate/difference"),
            ((Number) gauge(b, "lastGateDifference")).doubleValue(),
            1e-12);
        // Rightly: on test queries the gate never saw, the promoted version is better than the
        // base.
        double promoted = test(registry, "ft-0001", task, split);
        double before = test(registry, null, task, split);
        assertTrue(promoted > before + 0.05, "test nDCG@10 " + before + " -> " + promoted);
      } finally {
        b.cancel().get();
      }

      // Job C from the same savepoint: the announcement is committed, so it is not announced again.
      Rounds.reset(false);
      JobClient c = start(conf, savepoint);
      try {
        RoundReport again = Rounds.nextReport();
        assertTrue(again.recovered());
        assertNull(again.update(), "committed before: not announced again");
      } finally {
        c.cancel().get();
      }
      List<ModelUpdate> committed =
          KafkaRecords.readCommitted(bootstrap, "model-updates", ModelUpdate.class);
      assertEquals(
          1,
          committed.stream().filter(u -> u.getVersion().equals("ft-0001")).count(),
          committed.toString());
      assertEquals(List.of("ft-0001"), registry.history(), "made current once");
    }
  }

  /** A savepoint once every task runs (the embedding operator loads its model first). */
  private String savepoint(MiniCluster cluster, JobClient job) throws Exception {
    CommonTestUtils.waitForAllTaskRunning(cluster, job.getJobID(), false);
    return job.triggerSavepoint(
            tmp.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** The value of the trainer operator's gauge {@code name}. */
  private static Object gauge(JobClient job, String name) {
    Map<String, Metric> found = METRICS.findMetrics(job.getJobID(), name);
    for (Map.Entry<String, Metric> m : found.entrySet()) {
      if (m.getKey().contains("trainer") && m.getValue() instanceof Gauge<?> g) {
        return g.getValue();
      }
    }
    throw new AssertionError("no trainer gauge " + name + " among " + found.keySet());
  }

  private static JobClient start(Configuration conf, String savepoint) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    JobEnvironment.configure(env, conf);
    LearningJob.build(env, conf, SentenceStreamHook.NONE, new Rounds());
    StreamGraph graph = env.getStreamGraph();
    graph.setJobName("continuous-learning-it");
    if (savepoint != null) {
      graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
    }
    return env.executeAsync(graph);
  }

  /** Throws the job's failure, or says it ended, if it is no longer running. */
  private static void alive(JobClient job) throws Exception {
    if (job.getJobStatus().get().isGloballyTerminalState()) {
      job.getJobExecutionResult().get(); // throws the job's failure
      throw new AssertionError("the job ended");
    }
  }

  /**
   * What users do when shown the base model's top results for each query: click the relevant one
   * when shown, skip the rest; or, {@code harmful}, click a non-relevant document from beyond the
   * top and skip the rest.
   */
  static List<FeedbackPair> feedback(
      RetrievalTask task, List<String> queries, ModelBundle model, boolean harmful)
      throws Exception {
    List<String> ids = new ArrayList<>(task.corpus().keySet());
    Random random = new Random(5);
    List<FeedbackPair> out = new ArrayList<>();
    try (SentenceEncoder encoder = SentenceEncoder.open(model, EncoderOptions.defaults())) {
      List<SentenceEmbedding> docs = encoder.encode(new ArrayList<>(task.corpus().values()));
      List<SentenceEmbedding> qs =
          encoder.encode(queries.stream().map(task.queries()::get).toList());
      for (int i = 0; i < queries.size(); i++) {
        float[] q = qs.get(i).vector();
        List<Integer> order = new ArrayList<>();
        double[] score = new double[docs.size()];
        for (int d = 0; d < docs.size(); d++) {
          order.add(d);
          float[] v = docs.get(d).vector();
          for (int k = 0; k < q.length; k++) {
            score[d] += q[k] * v[k];
          }
        }
        order.sort((x, y) -> Double.compare(score[y], score[x]));
        String relevant = task.relevance().get(queries.get(i)).keySet().iterator().next();
        int clicked = -1;
        for (int r = 0; r < SHOWN; r++) {
          if (ids.get(order.get(r)).equals(relevant)) {
            clicked = r;
          }
        }
        List<String> shown = new ArrayList<>();
        for (int r = 0; r < SHOWN; r++) {
          shown.add(ids.get(order.get(r)));
        }
        if (harmful) {
          // The page shows a document from the far end of the ranking, and that is what is
          // clicked; what the question is about is skipped.
          String far;
          do {
            far = ids.get(order.get(SHOWN + random.nextInt(ids.size() - SHOWN)));
          } while (task.relevance().get(queries.get(i)).containsKey(far));
          shown.set(SHOWN - 1, far);
          clicked = SHOWN - 1;
        }
        for (int r = 0; r < SHOWN; r++) {
          String doc = shown.get(r);
          out.add(
              FeedbackPair.newBuilder()
                  .setAnchor(task.queries().get(queries.get(i)))
                  .setCandidate(task.corpus().get(doc))
                  .setLabel(r == clicked ? 1f : 0f)
                  .setSource(r == clicked ? "click" : "skip")
                  .setEventTime(Instant.now())
                  .setAnchorId(queries.get(i))
                  .setCandidateId(doc)
                  .build());
        }
      }
    }
    return out;
  }

  private static ModelUpdate awaitUpdate(TopicTail updates, String version, JobClient job)
      throws Exception {
    List<ModelUpdate> all =
        updates.await(
            ModelUpdate.class,
            WAIT,
            list -> list.stream().anyMatch(u -> u.getVersion().equals(version)),
            () -> alive(job));
    return all.stream().filter(u -> u.getVersion().equals(version)).findFirst().orElseThrow();
  }

  /**
   * Sends a probe sentence and waits for its embedding, again until one comes back embedded by
   * {@code version}: each probe waits for its own result, none for a fixed time.
   */
  private static void awaitServing(
      String bootstrap, TopicTail embeddings, String version, JobClient job) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    for (int probe = 0; System.nanoTime() < deadline; probe++) {
      String id = "probe-" + version + "-" + probe;
      KafkaRecords.produceSentences(
          bootstrap, "sentences", Map.of(id, "Is the new model serving?"));
      List<Embedding> all =
          embeddings.await(
              Embedding.class,
              WAIT,
              list -> list.stream().anyMatch(e -> e.getId().equals(id)),
              () -> alive(job));
      if (all.stream().anyMatch(e -> e.getId().equals(id) && e.getModelVersion().equals(version))) {
        return;
      }
    }
    throw new AssertionError(version + " never served within " + WAIT);
  }

  private static Map<String, Integer> versionsOfCorpus(List<Embedding> all, RetrievalTask task) {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (Embedding e : all) {
      if (task.corpus().containsKey(e.getId())) {
        out.merge(e.getModelVersion(), 1, Integer::sum);
      }
    }
    return out;
  }

  /** The texts under ids with {@code prefix} in front. */
  private static Map<String, String> prefixed(String prefix, Map<String, String> texts) {
    Map<String, String> out = new LinkedHashMap<>();
    texts.forEach((id, text) -> out.put(prefix + id, text));
    return out;
  }

  private static List<Embedding> withPrefix(List<Embedding> all, String prefix) {
    return all.stream().filter(e -> e.getId().startsWith(prefix)).toList();
  }

  /**
   * Every corpus embedding ({@code x:} ids) is the vector its version's model computes for the
   * text.
   */
  private static void assertVectorsAre(
      ModelRegistry registry, RetrievalTask task, List<Embedding> all) throws Exception {
    Map<String, List<Embedding>> byVersion = new HashMap<>();
    for (Embedding e : all) {
      if (e.getId().indexOf(':') == 1) {
        byVersion.computeIfAbsent(e.getModelVersion(), v -> new ArrayList<>()).add(e);
      }
    }
    for (Map.Entry<String, List<Embedding>> v : byVersion.entrySet()) {
      ModelBundle bundle =
          v.getKey().equals(ModelBundle.builtin(ModelBundle.DEFAULT).version())
              ? ModelBundle.builtin(ModelBundle.DEFAULT)
              : registry.load(v.getKey());
      try (SentenceEncoder encoder = SentenceEncoder.open(bundle, EncoderOptions.defaults())) {
        for (Embedding e : v.getValue()) {
          float[] want = encoder.encode(task.corpus().get(e.getId().substring(2))).vector();
          for (int d = 0; d < want.length; d++) {
            assertEquals(want[d], e.getVector().get(d), 1e-5f, e.getId());
          }
        }
      }
    }
  }
}
