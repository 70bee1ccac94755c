package io.twinstream.embedder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.embedder.kafka.EmbeddedKafka;
import io.twinstream.embedder.trainer.ContinuousTrainer;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.ModelRegistry;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.records.Embedding;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.trainer.online.Feedback;
import io.twinstream.trainer.online.ReplayBuffer;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuous learning in the job, with the in-JVM broker and a MiniCluster: feedback promotes a fine-tuned
 * version that every sentence is then embedded by exactly once; a harmful round is rejected and never serves,
 * is redone after a restart in its middle without losing buffered feedback, and is not trained twice.
 */
class ContinuousLearningITCase {

  private static final org.apache.flink.runtime.testutils.InMemoryReporter METRICS =
      org.apache.flink.runtime.testutils.InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4)
          .setConfiguration(METRICS.addToConfiguration(new Configuration())).build());

  private static final AvroCodec<Embedding> EMBEDDINGS = AvroCodec.of(Embedding.class);
  private static final AvroCodec<ModelUpdate> UPDATES = AvroCodec.of(ModelUpdate.class);
  private static final AvroCodec<FeedbackPair> FEEDBACK = AvroCodec.of(FeedbackPair.class);
  private static final Duration WAIT = Duration.ofSeconds(Long.getLong("it.wait", 240));
  private static final int SHOWN = 5;

  @TempDir
  Path tmp;

  /** Holds the first round it sees until released; records every report. */
  static final class Rounds implements ContinuousTrainer.RoundObserver {
    private static final long serialVersionUID = 1L;
    static volatile CountDownLatch started = new CountDownLatch(1);
    static volatile CountDownLatch release = new CountDownLatch(0);
    static final List<ContinuousTrainer.RoundReport> REPORTS = new CopyOnWriteArrayList<>();

    static void reset(boolean hold) {
      started = new CountDownLatch(1);
      release = new CountDownLatch(hold ? 1 : 0);
      REPORTS.clear();
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
    public void roundFinished(ContinuousTrainer.RoundReport report) {
      REPORTS.add(report);
    }
  }

  /** The job's topics on {@code kafka} (model-updates compacted) and an empty registry. */
  private ModelRegistry topicsAndRegistry(EmbeddedKafka kafka) throws Exception {
    kafka.createTopics(Map.of("sentences", 1, "embeddings", 1, "dead-letters", 1, "feedback-pairs", 1), Map.of());
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    new io.twinstream.embedder.model.ModelUpdates(registry, "default",
        Map.of("bootstrap.servers", kafka.bootstrapServers()), "model-updates").ensureTopic();
    return registry;
  }

  private Configuration conf(String bootstrap, ModelRegistry registry, RetrievalTask task, List<String> dev)
      throws Exception {
    task.writeBeir(tmp.resolve("dev"), dev);
    Configuration conf = new Configuration();
    conf.set(EmbedderOptions.BOOTSTRAP_SERVERS, bootstrap);
    conf.set(EmbedderOptions.MODEL, "default");
    conf.set(EmbedderOptions.MODEL_REGISTRY, registry.root().toString());
    conf.set(EmbedderOptions.START_POSITION, EmbedderOptions.StartPosition.EARLIEST);
    conf.set(EmbedderOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
    conf.set(EmbedderOptions.RESTART_ATTEMPTS, 0);
    conf.set(TrainerOptions.ENABLED, true);
    conf.set(TrainerOptions.EVAL_CORPUS, tmp.resolve("dev/corpus.jsonl").toString());
    conf.set(TrainerOptions.EVAL_QUERIES, tmp.resolve("dev/queries.jsonl").toString());
    conf.set(TrainerOptions.EVAL_QRELS, tmp.resolve("dev/qrels.tsv").toString());
    conf.set(TrainerOptions.EVERY, Duration.ofHours(1));
    return conf;
  }

  @Test
  void feedbackPromotesAVersionAndEverySentenceIsEmbeddedOncePerServingVersion() throws Exception {
    io.twinstream.schemas.TrustedRecords.install();
    RetrievalTask task = DomainTask.generate(8, 4, 2, 17);
    RetrievalTask.Split split = task.split(0.2, 17);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      ModelRegistry registry = topicsAndRegistry(kafka);
      List<FeedbackPair> feedback = feedback(task, split.traffic(), ModelBundle.builtin(ModelBundle.DEFAULT), false);
      Configuration conf = conf(bootstrap, registry, task, split.dev());
      conf.set(TrainerOptions.EVERY_PAIRS, (long) feedback.size());
      conf.set(TrainerOptions.LEARNING_RATE, 1e-4);
      conf.set(TrainerOptions.BATCH_SIZE, 16);
      conf.set(TrainerOptions.EPOCHS, 2);
      conf.set(TrainerOptions.GATE_TOLERANCE, 0.02);
      Rounds.reset(false);
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
      EmbedderJob.configureEnvironment(env, conf);
      EmbedderJob.build(env, conf, SentenceStreamHook.NONE, new Rounds());
      JobClient job = env.executeAsync("continuous-learning-it");
      try {
        String base = ModelBundle.builtin(ModelBundle.DEFAULT).version();
        KafkaRecords.produceSentences(bootstrap, "sentences", task.corpus());
        awaitEmbeddings(bootstrap, list -> versionsOfCorpus(list, task).getOrDefault(base, 0) == task.corpus().size());

        // One record that is no FeedbackPair: dead-lettered with the reason, not counted as feedback.
        KafkaRecords.produceRaw(bootstrap, "feedback-pairs", null, "not avro".getBytes());
        produceFeedback(bootstrap, feedback);
        ModelUpdate update = awaitUpdate(bootstrap, "ft-0001", job);
        assertEquals(ModelStatus.PROMOTED, update.getStatus(), update.getReason());
        assertEquals(base, update.getParentVersion());
        assertEquals("ft-0001", registry.current().orElseThrow());
        assertTrue(update.getMetrics().containsKey("fixed/ndcg@10"), update.getMetrics().toString());

        // Wait until the embedder serves it (a probe per second), then stream the corpus again (the backfill).
        awaitServing(bootstrap, "ft-0001");
        KafkaRecords.produceSentences(bootstrap, "sentences", task.corpus());
        List<Embedding> all = awaitEmbeddings(bootstrap,
            list -> versionsOfCorpus(list, task).getOrDefault("ft-0001", 0) == task.corpus().size());

        Map<String, Integer> perIdAndVersion = new HashMap<>();
        for (Embedding e : all) {
          if (task.corpus().containsKey(e.getId())) {
            perIdAndVersion.merge(e.getId() + "@" + e.getModelVersion(), 1, Integer::sum);
          }
        }
        assertEquals(2 * task.corpus().size(), perIdAndVersion.size(), "every document under both versions");
        perIdAndVersion.forEach((k, n) -> assertEquals(1, n, k + " embedded " + n + " times"));
        assertVectorsAre(registry.load("ft-0001"), task, all, "ft-0001");
        assertEquals(1, Rounds.REPORTS.size());

        List<ConsumerRecord<byte[], byte[]>> dead = KafkaRecords.readCommitted(bootstrap, "dead-letters");
        assertEquals(1, dead.size());
        io.twinstream.records.DeadLetter letter = AvroCodec.of(io.twinstream.records.DeadLetter.class)
            .decode(dead.get(0).value());
        assertEquals("feedback-pairs", letter.getTopic());
        assertEquals("decode-feedback", letter.getStage());

        // The trainer's metrics, as a reporter sees them.
        assertEquals(1L, gauge(job, "roundsPromoted"));
        assertEquals(0L, gauge(job, "roundsRejected"));
        assertEquals((long) feedback.size(), gauge(job, "feedbackReceived"));
        assertEquals(0, gauge(job, "roundRunning"));
        assertTrue(((Number) gauge(job, "lastCandidateMetric")).doubleValue()
            >= ((Number) gauge(job, "lastServingMetric")).doubleValue() - 0.02);
      } finally {
        job.cancel().get();
      }
    }
  }

  @Test
  void aHarmfulRoundInterruptedByARestartIsRedoneFromStateRejectedNeverServesAndIsNotTrainedTwice()
      throws Exception {
    io.twinstream.schemas.TrustedRecords.install();
    RetrievalTask task = DomainTask.generate(8, 4, 2, 23);
    RetrievalTask.Split split = task.split(0.2, 23);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      ModelRegistry registry = topicsAndRegistry(kafka);
      // Users who click a random wrong result: learnt hard, this can only hurt the true judgements.
      List<FeedbackPair> harmful = feedback(task, split.traffic(), ModelBundle.builtin(ModelBundle.DEFAULT), true);
      Configuration conf = conf(bootstrap, registry, task, split.dev());
      conf.set(TrainerOptions.EVERY_PAIRS, (long) harmful.size());
      conf.set(TrainerOptions.LEARNING_RATE, 2e-4);
      conf.set(TrainerOptions.BATCH_SIZE, 8);
      conf.set(TrainerOptions.EPOCHS, 4);

      // Job A: the round starts and is held; a savepoint is taken in its middle; the job is cancelled.
      Rounds.reset(true);
      JobClient a = start(conf, null);
      String savepoint;
      try {
        produceFeedback(bootstrap, harmful);
        assertTrue(Rounds.started.await(WAIT.toSeconds(), TimeUnit.SECONDS), "round started");
        savepoint = savepoint(a);
      } finally {
        a.cancel().get();
      }
      Rounds.release.countDown(); // the abandoned round resumes, sees the trainer closed, publishes nothing
      Thread.sleep(1_000);
      assertTrue(updates(bootstrap).isEmpty(), "the interrupted round announced nothing");

      // Job B from the savepoint: the buffer comes back from state (the feedback offsets are past it), the round
      // is redone and the gate rejects it.
      JobClient b = start(conf, savepoint);
      try {
        ModelUpdate update = awaitUpdate(bootstrap, "ft-0001", b);
        assertEquals(ModelStatus.REJECTED, update.getStatus());
        assertTrue(update.getReason().contains("fixed: ndcg@10"), update.getReason());
        ReplayBuffer expected = new ReplayBuffer(TrainerOptions.BUFFER_CAPACITY.defaultValue(),
            TrainerOptions.HOLDOUT_SHARE.defaultValue(), TrainerOptions.HALF_LIFE.defaultValue());
        harmful.forEach(f -> expected.offer(new Feedback(f.getAnchor(), f.getCandidate(), f.getLabel(), 0)));
        assertEquals((double) harmful.size(), update.getMetrics().get(ContinuousTrainer.BUFFER_RECEIVED));
        assertEquals((double) expected.trainingSize(), update.getMetrics().get(ContinuousTrainer.BUFFER_TRAINING));
        assertEquals((double) expected.heldOutSize(), update.getMetrics().get(ContinuousTrainer.BUFFER_HELD_OUT));

        // It never serves: the registry has no current version, and sentences are embedded by the base model.
        assertTrue(registry.current().isEmpty());
        KafkaRecords.produceSentences(bootstrap, "sentences", task.corpus());
        List<Embedding> all = awaitEmbeddings(bootstrap, list -> versionsOfCorpus(list, task).values().stream()
            .mapToInt(Integer::intValue).sum() == task.corpus().size());
        String base = ModelBundle.builtin(ModelBundle.DEFAULT).version();
        assertEquals(Map.of(base, task.corpus().size()), versionsOfCorpus(all, task));
      } finally {
        b.cancel().get();
      }

      // Job C from the same savepoint: round ft-0001 is in the registry already, so it is read back, not trained.
      Rounds.reset(false);
      JobClient c = start(conf, savepoint);
      try {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (Rounds.REPORTS.isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertEquals(1, Rounds.REPORTS.size());
        ContinuousTrainer.RoundReport report = Rounds.REPORTS.get(0);
        assertEquals("ft-0001", report.version());
        assertTrue(report.recovered(), "read back, not trained again");
        assertFalse(report.promoted());
        assertEquals(1L, Rounds.started.getCount(), "no training started");
        Thread.sleep(1_000);
        assertEquals(1, updates(bootstrap).size(), "one update for the version");
      } finally {
        c.cancel().get();
      }
    }
  }

  /** A savepoint, retried while tasks are still starting (the embedding operator loads its model). */
  private String savepoint(JobClient job) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try {
        return job.triggerSavepoint(tmp.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
            .get(WAIT.toSeconds(), TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        if (System.nanoTime() > deadline || !String.valueOf(e.getMessage()).contains("not being executed")) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }

  /** The value of the trainer operator's gauge {@code name}. */
  private static Object gauge(JobClient job, String name) {
    Map<String, org.apache.flink.metrics.Metric> found = METRICS.findMetrics(job.getJobID(), name);
    for (Map.Entry<String, org.apache.flink.metrics.Metric> m : found.entrySet()) {
      if (m.getKey().contains("trainer") && m.getValue() instanceof org.apache.flink.metrics.Gauge<?> g) {
        return g.getValue();
      }
    }
    throw new AssertionError("no trainer gauge " + name + " among " + found.keySet());
  }

  private static JobClient start(Configuration conf, String savepoint) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    EmbedderJob.configureEnvironment(env, conf);
    EmbedderJob.build(env, conf, SentenceStreamHook.NONE, new Rounds());
    StreamGraph graph = env.getStreamGraph();
    graph.setJobName("continuous-learning-restart-it");
    if (savepoint != null) {
      graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
    }
    return env.executeAsync(graph);
  }

  /**
   * What users do when shown the base model's top results for each query: click the relevant one when shown
   * (or, {@code harmful}, a random other one), skip the rest.
   */
  static List<FeedbackPair> feedback(RetrievalTask task, List<String> queries, ModelBundle model,
      boolean harmful) throws Exception {
    List<String> ids = new ArrayList<>(task.corpus().keySet());
    Random random = new Random(5);
    List<FeedbackPair> out = new ArrayList<>();
    try (SentenceEncoder encoder = SentenceEncoder.open(model, EncoderOptions.defaults())) {
      List<SentenceEmbedding> docs = encoder.encode(new ArrayList<>(task.corpus().values()));
      List<SentenceEmbedding> qs = encoder.encode(queries.stream().map(task.queries()::get).toList());
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
        if (harmful) {
          int wrong = random.nextInt(SHOWN);
          clicked = wrong == clicked ? (wrong + 1) % SHOWN : wrong;
        }
        for (int r = 0; r < SHOWN; r++) {
          String doc = ids.get(order.get(r));
          out.add(FeedbackPair.newBuilder().setAnchor(task.queries().get(queries.get(i)))
              .setCandidate(task.corpus().get(doc)).setLabel(r == clicked ? 1f : 0f)
              .setSource(r == clicked ? "click" : "skip").setEventTime(Instant.now())
              .setAnchorId(queries.get(i)).setCandidateId(doc).build());
        }
      }
    }
    return out;
  }

  private static void produceFeedback(String bootstrap, List<FeedbackPair> pairs) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = KafkaRecords.producer(bootstrap)) {
      for (FeedbackPair p : pairs) {
        producer.send(new ProducerRecord<>("feedback-pairs", p.getAnchorId().getBytes(), FEEDBACK.encode(p)));
      }
      producer.flush();
    }
  }

  private static List<ModelUpdate> updates(String bootstrap) throws Exception {
    List<ModelUpdate> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : KafkaRecords.readCommitted(bootstrap, "model-updates")) {
      out.add(UPDATES.decode(r.value()));
    }
    return out;
  }

  private static ModelUpdate awaitUpdate(String bootstrap, String version, JobClient job) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (job.getJobStatus().get().isGloballyTerminalState()) {
        job.getJobExecutionResult().get(); // throws the job's failure
        throw new AssertionError("the job ended before an update for " + version);
      }
      for (ModelUpdate u : updates(bootstrap)) {
        if (u.getVersion().equals(version)) {
          return u;
        }
      }
      Thread.sleep(250);
    }
    throw new AssertionError("no model update for " + version + " within " + WAIT);
  }

  private static void awaitServing(String bootstrap, String version) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    for (int probe = 0; System.nanoTime() < deadline; probe++) {
      KafkaRecords.produceSentences(bootstrap, "sentences", Map.of("probe-" + probe, "Is the new model serving?"));
      Thread.sleep(1_000);
      for (ConsumerRecord<byte[], byte[]> r : KafkaRecords.readCommitted(bootstrap, "embeddings")) {
        if (EMBEDDINGS.decode(r.value()).getModelVersion().equals(version)) {
          return;
        }
      }
    }
    throw new AssertionError(version + " never served within " + WAIT);
  }

  private static List<Embedding> awaitEmbeddings(String bootstrap, Predicate<List<Embedding>> done)
      throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      List<Embedding> all = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : KafkaRecords.readCommitted(bootstrap, "embeddings")) {
        all.add(EMBEDDINGS.decode(r.value()));
      }
      if (done.test(all)) {
        return all;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("embeddings incomplete after " + WAIT + ": " + all.size());
      }
      Thread.sleep(250);
    }
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

  private static void assertVectorsAre(ModelBundle bundle, RetrievalTask task, List<Embedding> all, String version)
      throws Exception {
    try (SentenceEncoder encoder = SentenceEncoder.open(bundle, EncoderOptions.defaults())) {
      for (Embedding e : all) {
        if (e.getModelVersion().equals(version) && task.corpus().containsKey(e.getId())) {
          float[] want = encoder.encode(List.of(task.corpus().get(e.getId()))).get(0).vector();
          for (int d = 0; d < want.length; d++) {
            assertEquals(want[d], e.getVector().get(d), 1e-5f, e.getId());
          }
        }
      }
    }
  }
}
