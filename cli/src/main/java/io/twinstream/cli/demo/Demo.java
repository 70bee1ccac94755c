package io.twinstream.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobEnvironment;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.SentenceStreamHook;
import io.twinstream.embedder.store.StoreOptions;
import io.twinstream.embedder.store.StoreSinkJob;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.joiner.FeedbackJoiner;
import io.twinstream.joiner.JoinerArguments;
import io.twinstream.joiner.JoinerConfig;
import io.twinstream.joiner.Propensity;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.records.Embedding;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.AvroJson;
import io.twinstream.store.StoreKind;
import io.twinstream.store.StoreSpec;
import io.twinstream.streamtrainer.LearningJob;
import io.twinstream.streamtrainer.TrainerOptions;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.TopicTail;
import io.twinstream.trainer.task.RetrievalTask;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code twinstream demo}, run: starts a broker and the job (embedding + trainer, and the store
 * sink with dual writing), streams the task's corpus once, lets {@link SimulatedUsers} search the
 * vector store's serving version and send their clicks as feedback, waits for each round's update
 * (the version lifecycle backfills a promoted version and cuts the store over to it), scores every
 * version with {@link TestQueries} and writes a {@link DemoReport} ({@link DemoRounds}).
 */
public final class Demo {

  private final DemoSettings settings;
  private final PrintWriter out;
  private final PrintWriter err;
  private final int shown;
  private final int gateQueries;
  private final long pairsPerRound;
  private final double propensityEta;
  private final Path registryDir;
  private final Path stateDir;
  private final Path report;
  private final Path chart;
  private final Path dump;
  private final StoreKind store;
  private final Path storeDir;
  private final String jdbcUrl;

  public Demo(DemoSettings settings, PrintWriter out, PrintWriter err) {
    this.settings = settings;
    this.out = out;
    this.err = err;
    this.shown = settings.shown();
    this.gateQueries = settings.gateQueries();
    this.pairsPerRound = settings.pairsPerRound();
    this.propensityEta = settings.propensityEta();
    this.registryDir = settings.registryDir();
    this.stateDir = settings.stateDir();
    this.report = settings.report();
    this.chart = settings.chart();
    this.dump = settings.dump();
    this.store = settings.store();
    this.storeDir = settings.storeDir();
    this.jdbcUrl = settings.jdbcUrl();
  }

  /** Runs the demo on {@code loaded}: its task and its query split. */
  public void run(RetrievalTask.WithSplit loaded) throws Exception {
    RetrievalTask retrieval = loaded.task();
    RetrievalTask.Split split = loaded.split();
    if (split.traffic().isEmpty() || split.test().isEmpty()) {
      throw new IllegalArgumentException(
          "the task has too few judged queries ("
              + retrieval.queries().size()
              + ") for a traffic/dev/test split");
    }
    int k = Math.min(shown, retrieval.corpus().size());
    Path work = Files.createTempDirectory("twinstream-demo-");
    try {
      Path registryRoot = registryDir != null ? registryDir : work.resolve("registry");
      List<String> gate = split.dev().subList(0, Math.min(gateQueries, split.dev().size()));
      retrieval.writeBeir(work.resolve("dev"), gate);
      err.printf(
          Locale.ROOT,
          "twinstream demo: task '%s': %d documents, %d queries (%d traffic, %d dev of which %d for"
              + " the gate, %d test for this report)%n",
          retrieval.name(),
          retrieval.corpus().size(),
          retrieval.queries().size(),
          split.traffic().size(),
          split.dev().size(),
          gate.size(),
          split.test().size());
      err.println(
          "twinstream demo: starting the Kafka broker and the Flink job (embedding + trainer)...");
      try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
        run(kafka, retrieval, split, k, ModelRegistry.open(registryRoot), work);
      }
    } finally {
      deleteTree(work);
    }
  }

  private void run(
      EmbeddedKafka kafka,
      RetrievalTask retrieval,
      RetrievalTask.Split split,
      int k,
      ModelRegistry registry,
      Path work)
      throws Exception {
    String bootstrap = kafka.bootstrapServers();
    kafka.createTopics(
        Map.of(
            "sentences",
            1,
            "embeddings",
            1,
            "dead-letters",
            1,
            "interactions",
            1,
            "feedback-pairs",
            1),
        // The documents: a backfill reads the latest text per id from here.
        Map.of("sentences", Map.of("cleanup.policy", "compact")));
    new KafkaModelUpdates(
            registry, "default", Map.of("bootstrap.servers", bootstrap), "model-updates")
        .ensureTopic();
    Configuration conf = jobConfiguration(bootstrap, registry, k, work);
    Configuration cluster = new Configuration();
    cluster.set(TaskManagerOptions.NUM_TASK_SLOTS, 2); // embedding, and the trainer's own slot
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, cluster);
    JobEnvironment.configure(env, conf);
    LearningJob.build(env, conf, SentenceStreamHook.NONE, null);
    StoreSinkJob.build(env, conf);
    JobClient job = env.executeAsync("twinstream-demo");
    try (TopicTail embeddings = new TopicTail(bootstrap, "embeddings");
        TopicTail updates = new TopicTail(bootstrap, "model-updates");
        TopicTail pairs = new TopicTail(bootstrap, "feedback-pairs");
        KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
      DemoRounds rounds =
          new DemoRounds(
              settings,
              out,
              err,
              retrieval,
              split,
              k,
              registry,
              producer,
              embeddings,
              updates,
              pairs,
              job,
              conf,
              work);
      DemoReport results = rounds.run(() -> startJoiner(bootstrap, work));
      int deadLetters;
      try (TopicTail dead = new TopicTail(bootstrap, "dead-letters")) {
        deadLetters = dead.readToEnd();
      }
      embeddings.readToEnd();
      updates.readToEnd();
      Map<String, DemoSummaries.TopicFlow> topics = new LinkedHashMap<>();
      topics.put("sentences", DemoSummaries.TopicFlow.in(rounds.sentencesIn));
      topics.put("interactions", DemoSummaries.TopicFlow.in(rounds.interactionsIn));
      pairs.readToEnd();
      topics.put("feedback-pairs", DemoSummaries.TopicFlow.in(pairs.records().size()));
      topics.put("embeddings", DemoSummaries.TopicFlow.out(embeddings.records().size()));
      topics.put("model-updates", DemoSummaries.TopicFlow.out(updates.records().size()));
      topics.put("dead-letters", DemoSummaries.TopicFlow.out(deadLetters));
      DemoSummaries.Task task =
          new DemoSummaries.Task(
              retrieval.name(),
              retrieval.corpus().size(),
              split.traffic().size(),
              split.dev().size(),
              split.test().size());
      Path html = chart != null ? chart : report != null ? DemoReport.chartBeside(report) : null;
      results.store(rounds.storeSummary);
      results.write(report, html, task, topics, rounds.joinerSummary, registry.root().toString());
      if (report != null) {
        err.println("twinstream demo: report " + report + ", chart " + html);
      }
      if (dump != null) {
        dump(embeddings, updates);
      }
    } finally {
      job.cancel().get();
    }
    if (registryDir != null) {
      err.println("twinstream demo: every published version is kept in " + registry.root());
    }
  }

  /**
   * The feedback joiner, in this process, with windows to suit the simulated clock ({@link
   * SimulatedUsers#SPACING} between searches) and no idle advance: only events move its clock, so
   * what it joins does not depend on how long anything took.
   */
  private FeedbackJoiner startJoiner(String bootstrap, Path work) throws IOException {
    JoinerConfig config =
        JoinerConfig.defaults()
            .withWindows(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofHours(24))
            .withIdleAdvance(Duration.ZERO);
    config =
        config.withPairs(
            config.skipNext(),
            new Propensity(propensityEta, config.propensity().maxWeight()),
            config.satisfiedDwell());
    JoinerArguments arguments =
        new JoinerArguments(
            config, bootstrap, "twinstream-demo-joiner", work.resolve("joiner"), 0, 0, Map.of());
    return FeedbackJoiner.start(arguments, err::println);
  }

  /**
   * The job: embedding and trainer, one round per round's feedback, the dev split as the fixed gate
   * set.
   */
  private Configuration jobConfiguration(String bootstrap, ModelRegistry registry, int k, Path work)
      throws IOException {
    Configuration conf = new Configuration();
    conf.set(JobOptions.BOOTSTRAP_SERVERS, bootstrap);
    conf.set(JobOptions.MODEL, registry.current().isPresent() ? "registry" : "default");
    conf.set(JobOptions.MODEL_REGISTRY, registry.root().toString());
    conf.set(JobOptions.START_POSITION, JobOptions.StartPosition.EARLIEST);
    conf.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(1));
    conf.set(JobOptions.RESTART_ATTEMPTS, 0);
    // The first checkpoint's barrier queues behind the corpus the job is embedding; on a busy
    // machine with a corpus of paragraphs (--task squad) that took over the job's default minute,
    // the broker aborted the transaction and, with no restarts, the demo failed. Nothing fails
    // over here, so a long transaction costs nothing.
    conf.set(JobOptions.TRANSACTION_TIMEOUT, Duration.ofMinutes(10));
    // On disk, not in memory: the trainer's state of a large task is more than the JobManager
    // takes.
    Path checkpoints = (stateDir != null ? stateDir : work.resolve("state")).resolve("checkpoints");
    conf.set(JobOptions.CHECKPOINT_DIR, checkpoints.toString());
    conf.set(TrainerOptions.ENABLED, true);
    conf.set(TrainerOptions.EVERY_PAIRS, pairsPerRound);
    conf.set(TrainerOptions.EVERY, Duration.ofHours(24));
    RoundSettings training = settings.training();
    conf.set(TrainerOptions.LEARNING_RATE, training.learningRate());
    conf.set(TrainerOptions.FROZEN_LAYERS, training.frozenLayers());
    conf.set(TrainerOptions.BATCH_SIZE, training.batchSize());
    conf.set(TrainerOptions.MODE, training.mode().optionName());
    conf.set(TrainerOptions.EVAL_CORPUS, work.resolve("dev/corpus.jsonl").toString());
    conf.set(TrainerOptions.EVAL_QUERIES, work.resolve("dev/queries.jsonl").toString());
    conf.set(TrainerOptions.EVAL_QRELS, work.resolve("dev/qrels.tsv").toString());
    StoreSpec spec = storeSpec(work);
    conf.set(StoreOptions.KIND, spec.kind().id());
    conf.set(StoreOptions.LOCATION, spec.location());
    conf.set(StoreOptions.TABLE, spec.table());
    conf.set(StoreOptions.BATCH_SIZE, 100);
    conf.set(EmbedderOptions.DUAL_WRITE, true);
    return conf;
  }

  private StoreSpec storeSpec(Path work) {
    return store == StoreKind.LUCENE
        ? StoreSpec.lucene(storeDir != null ? storeDir : work.resolve("store"), 384)
        : StoreSpec.pgvector(jdbcUrl, "demo_embeddings", 384, "", "");
  }

  /** Starts the joiner once the corpus is on its topic. */
  interface JoinerStart {
    FeedbackJoiner start() throws IOException;
  }

  private void dump(TopicTail embeddings, TopicTail updates) throws IOException {
    Files.createDirectories(dump);
    writeJsonl(dump.resolve("embeddings.jsonl"), embeddings.decoded(Embedding.class));
    writeJsonl(dump.resolve("model-updates.jsonl"), updates.decoded(ModelUpdate.class));
    err.println(
        "twinstream demo: dumped "
            + embeddings.records().size()
            + " embeddings and "
            + updates.records().size()
            + " model updates to "
            + dump);
  }

  private static void writeJsonl(Path file, List<? extends SpecificRecord> records)
      throws IOException {
    ObjectMapper json = new ObjectMapper();
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (SpecificRecord r : records) {
        w.write(json.writeValueAsString(AvroJson.toJson(r)));
        w.write('\n');
      }
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
