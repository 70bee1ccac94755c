package io.twinstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.cli.demo.CorpusVectors;
import io.twinstream.cli.demo.DemoReport;
import io.twinstream.cli.demo.HttpSearches;
import io.twinstream.cli.demo.RoundFeedback;
import io.twinstream.cli.demo.RoundSettings;
import io.twinstream.cli.demo.ServedVersions;
import io.twinstream.cli.demo.SimulatedUsers;
import io.twinstream.cli.demo.TestQueries;
import io.twinstream.cli.demo.TestScores;
import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobEnvironment;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.SentenceStreamHook;
import io.twinstream.embedder.store.StoreOptions;
import io.twinstream.embedder.store.StoreSinkJob;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.joiner.FeedbackJoiner;
import io.twinstream.joiner.JoinerArguments;
import io.twinstream.joiner.JoinerConfig;
import io.twinstream.joiner.Propensity;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.lifecycle.flink.StoreLifecycle;
import io.twinstream.records.Embedding;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Interaction;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.AvroJson;
import io.twinstream.schemas.TrustedRecords;
import io.twinstream.serve.EmbeddingService;
import io.twinstream.serve.ModelUpdatesFollower;
import io.twinstream.serve.QueryServer;
import io.twinstream.serve.ServeOptions;
import io.twinstream.store.StoreKind;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import io.twinstream.streamtrainer.LearningJob;
import io.twinstream.streamtrainer.TrainerOptions;
import io.twinstream.testkit.ClickModel;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.TopicTail;
import io.twinstream.trainer.data.BeirDataset;
import io.twinstream.trainer.task.DomainTask;
import io.twinstream.trainer.task.IncidentReportTask;
import io.twinstream.trainer.task.RetrievalTask;
import io.twinstream.trainer.task.StsTask;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code twinstream demo}: orchestration only. It starts a broker and the job (embedding + trainer,
 * and the store sink with dual writing), streams the task's corpus once, lets {@link
 * SimulatedUsers} search the vector store's serving version and send their clicks as feedback,
 * waits for each round's update (and, after a promotion, backfills the new version into the store
 * and cuts over to it), scores every version with {@link TestQueries} and writes a {@link
 * DemoReport}.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Continuous learning end to end, embedded and self-contained: starts a Kafka broker, the "
          + "Flink job (embedding + trainer) and the feedback joiner, streams a corpus, simulates users "
          + "who search and click with a position bias, and lets the joiner turn their impressions and "
          + "clicks into training pairs and the job fine-tune, gate and hot-swap the encoder in rounds.",
      "Prints the base model's nDCG@10 on held-out test queries, then per round the gate decision and each "
          + "version's nDCG@10."
    })
final class DemoCommand implements Callable<Integer> {

  static final long DEFAULT_PAIRS_PER_ROUND = 320;

  @Spec CommandSpec spec;

  @Option(
      names = "--rounds",
      defaultValue = "3",
      paramLabel = "N",
      description = "Fine-tuning rounds (default 3).")
  int rounds;

  @Option(
      names = "--task",
      defaultValue = "domain",
      paramLabel = "domain|incidents|sts|squad",
      description =
          "Built-in task: 'domain' (generated on-call dialect whose code words the base model does not "
              + "know; short documents; default), 'incidents' (the same dialect in 5,760 incident "
              + "reports of 200-300 tokens), 'sts' (queries and documents from STS-benchmark pairs "
              + "scored >= 4) or 'squad' (real data: 5,026 Wikipedia paragraphs and crowd-written "
              + "questions from SQuAD v1.1, with its own traffic, dev, test-seen and test-unseen "
              + "split; data/squad-retrieval-small of the installation).")
  String task;

  @Option(
      names = "--task-dir",
      paramLabel = "DIR",
      description =
          "A task folder with its own split, instead of a built-in task: corpus.jsonl,"
              + " queries.jsonl, qrels/traffic.tsv (what users search), qrels/dev.tsv (the gate's"
              + " fixed set) and qrels/test*.tsv (each a test set of the report), as"
              + " data/squad-retrieval-small.")
  Path taskDir;

  @Option(
      names = "--corpus",
      paramLabel = "FILE",
      description = "BEIR corpus JSONL (with --queries, --qrels) " + "instead of a built-in task.")
  Path corpus;

  @Option(names = "--queries", paramLabel = "FILE", description = "BEIR queries JSONL.")
  Path queries;

  @Option(names = "--qrels", paramLabel = "FILE", description = "BEIR relevance TSV.")
  Path qrels;

  @Option(
      names = "--sts-file",
      paramLabel = "FILE",
      description =
          "STS TSV for --task sts (default: " + "data/stsb-ccbysa/train.tsv of the installation).")
  Path stsFile;

  @Option(
      names = "--problems",
      defaultValue = "24",
      paramLabel = "N",
      description = "Domain task: problems, i.e. code words (2-24, default 24).")
  int problems;

  @Option(
      names = "--services",
      paramLabel = "N",
      description =
          "Domain and incidents tasks: services (domain: 1-12, default 10; incidents: 1-60, default"
              + " 60); documents = problems x services (x reports).")
  Integer services;

  @Option(
      names = "--reports",
      defaultValue = "4",
      paramLabel = "N",
      description = "Incidents task: reports per service and problem (default 4).")
  int reports;

  @Option(
      names = "--gate-queries",
      defaultValue = "1000",
      paramLabel = "N",
      description =
          "Dev queries the gate's fixed evaluation set uses, at most (default 1000: a gate that"
              + " compares models query by query needs several hundred to tell a point of nDCG@10"
              + " from noise); the round's evaluation cost follows them.")
  int gateQueries;

  @Option(
      names = "--pairs-per-round",
      defaultValue = "" + DEFAULT_PAIRS_PER_ROUND,
      paramLabel = "N",
      description =
          "Training pairs that start a round (the trainer's trigger; default "
              + DEFAULT_PAIRS_PER_ROUND
              + "): users search until the joiner has written this many more.")
  long pairsPerRound;

  @Option(
      names = "--shown",
      defaultValue = "10",
      paramLabel = "K",
      description = "Results shown per search (default 10).")
  int shown;

  @Option(
      names = "--click-bias",
      defaultValue = "1.0",
      paramLabel = "B",
      description =
          "Users examine rank k (0-based) with probability (1/(k+1))^B and click an examined result"
              + " with probability 0.95 if relevant, 0.02 if not (default 1.0; 0 = no position"
              + " bias).")
  double clickBias;

  @Option(
      names = "--propensity-eta",
      defaultValue = "0.5",
      paramLabel = "ETA",
      description =
          "The joiner's position-bias correction: a pair from a click at rank k weighs (k+1)^ETA,"
              + " at most 10 (default 0.5, as twinstream joiner; 0 = unweighted).")
  double propensityEta;

  @Option(
      names = "--learning-rate",
      paramLabel = "LR",
      description =
          "Peak learning rate of a round, the job's trainer.learning-rate (default: the job's,"
              + " 5e-5; 1e-4 on the generated tasks domain and incidents).")
  Double learningRate;

  @Option(
      names = "--frozen-layers",
      paramLabel = "N",
      description =
          "Transformer layers (with the embeddings) the rounds do not train, the job's"
              + " trainer.frozen-layers (default: the job's, 2; 0 on the generated tasks domain and"
              + " incidents, whose made-up words only the embeddings can learn).")
  Integer frozenLayers;

  @Option(
      names = "--seed",
      defaultValue = "42",
      paramLabel = "N",
      description = "Task, split and users (default 42).")
  long seed;

  @Option(
      names = "--registry",
      paramLabel = "DIR",
      description =
          "Registry to publish into, kept afterwards "
              + "(default: a temporary directory, deleted). Each version works with 'twinstream embed --model DIR/VERSION'.")
  Path registryDir;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description =
          "Keep the job's checkpoints here, on disk (default: a temporary directory, deleted). The demo"
              + " always starts a new simulation; the directory is for inspecting the checkpoints.")
  Path stateDir;

  @Option(names = "--report", paramLabel = "FILE", description = "Write the JSON report here.")
  Path report;

  @Option(
      names = "--chart",
      paramLabel = "FILE",
      description =
          "Write an HTML chart of nDCG@10 and loss per "
              + "version here (default: the report's path with .html).")
  Path chart;

  @Mixin ProgressOption progress;

  @Option(
      names = "--dump",
      paramLabel = "DIR",
      description = "Write everything that came out of embeddings and model-updates as JSONL here.")
  Path dump;

  @Option(
      names = "--store",
      defaultValue = "lucene",
      paramLabel = "lucene|pgvector",
      description =
          "The vector store users search: lucene = the embedded store (in --store-dir), pgvector ="
              + " PostgreSQL with pgvector at --jdbc-url (default: ${DEFAULT-VALUE}).")
  String store;

  @Option(
      names = "--store-dir",
      paramLabel = "DIR",
      description =
          "The embedded store's directory (default: a temporary directory, deleted at the end).")
  Path storeDir;

  @Option(
      names = "--jdbc-url",
      paramLabel = "URL",
      description =
          "For --store pgvector: jdbc:postgresql://HOST:PORT/DB?user=...&password=... (the table"
              + " demo_embeddings is dropped and created again).")
  String jdbcUrl;

  private PrintWriter err;
  private PrintWriter out;

  @Override
  public Integer call() throws Exception {
    err = spec.commandLine().getErr();
    out = spec.commandLine().getOut();
    TrustedRecords.install();
    RetrievalTask.WithSplit loaded = loadTask();
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
      if (gateQueries < 1) {
        throw new IllegalArgumentException("--gate-queries must be at least 1, got " + gateQueries);
      }
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
        run(kafka, retrieval, split, k, Registries.open(registryRoot.toString()), work);
      }
    } finally {
      deleteTree(work);
    }
    return 0;
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
      Rounds rounds =
          new Rounds(
              retrieval, split, k, registry, producer, embeddings, updates, pairs, job, conf, work);
      DemoReport results = rounds.run(() -> startJoiner(bootstrap, work));
      int deadLetters;
      try (TopicTail dead = new TopicTail(bootstrap, "dead-letters")) {
        deadLetters = dead.readToEnd();
      }
      embeddings.readToEnd();
      updates.readToEnd();
      Map<String, Object> topics = new LinkedHashMap<>();
      topics.put("sentences", Map.of("in", rounds.sentencesIn));
      topics.put("interactions", Map.of("in", rounds.interactionsIn));
      pairs.readToEnd();
      topics.put("feedback-pairs", Map.of("in", pairs.records().size()));
      topics.put("embeddings", Map.of("out", embeddings.records().size()));
      topics.put("model-updates", Map.of("out", updates.records().size()));
      topics.put("dead-letters", Map.of("out", deadLetters));
      Map<String, Object> task = new LinkedHashMap<>();
      task.put("name", retrieval.name());
      task.put("documents", retrieval.corpus().size());
      task.put("trafficQueries", split.traffic().size());
      task.put("devQueries", split.dev().size());
      task.put("testQueries", split.test().size());
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
    RoundSettings training =
        (taskDir == null && corpus == null && (task.equals("domain") || task.equals("incidents"))
                ? RoundSettings.generatedDialect()
                : RoundSettings.jobDefaults())
            .with(frozenLayers, learningRate);
    conf.set(TrainerOptions.LEARNING_RATE, training.learningRate());
    conf.set(TrainerOptions.FROZEN_LAYERS, training.frozenLayers());
    conf.set(TrainerOptions.BATCH_SIZE, training.batchSize());
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
    return switch (store) {
      case "lucene" -> StoreSpec.lucene(storeDir != null ? storeDir : work.resolve("store"), 384);
      case "pgvector" -> {
        if (jdbcUrl == null) {
          throw new IllegalArgumentException("--store pgvector needs --jdbc-url");
        }
        yield StoreSpec.pgvector(jdbcUrl, "demo_embeddings", 384, "", "");
      }
      default ->
          throw new IllegalArgumentException(
              "--store must be lucene or pgvector, got '" + store + "'");
    };
  }

  /**
   * The task and its query split: a task folder's own (its traffic shuffled by the seed), or a
   * seeded random 60/20/20 one.
   */
  private RetrievalTask.WithSplit loadTask() throws Exception {
    Path dir =
        taskDir != null
            ? taskDir
            : task.equals("squad")
                ? Path.of(System.getProperty("twinstream.home", "."))
                    .resolve("data/squad-retrieval-small")
                : null;
    if (dir != null) {
      RetrievalTask.WithSplit own =
          RetrievalTask.readSplit(
              taskDir != null ? dir.getFileName().toString() : "squad",
              dir,
              b -> err.println("twinstream demo: " + b + " (skipped)"));
      return own.withTrafficShuffled(seed);
    }
    RetrievalTask retrieval = builtInOrFiles();
    return new RetrievalTask.WithSplit(retrieval, retrieval.split(0.2, seed));
  }

  private RetrievalTask builtInOrFiles() throws Exception {
    if (corpus != null || queries != null || qrels != null) {
      if (corpus == null || queries == null || qrels == null) {
        throw new IllegalArgumentException("--corpus, --queries and --qrels go together");
      }
      BeirDataset data = BeirDataset.read(corpus, queries, qrels);
      data.badLines().forEach(b -> err.println("twinstream demo: " + b + " (skipped)"));
      return RetrievalTask.of("files", data);
    }
    return switch (task) {
      case "domain" -> DomainTask.generate(problems, services != null ? services : 10, 2, seed);
      case "incidents" ->
          IncidentReportTask.generate(
              services != null ? services : IncidentReportTask.MAX_SERVICES,
              problems,
              reports,
              2,
              seed);
      case "sts" ->
          StsTask.read(
              stsFile != null
                  ? stsFile
                  : Path.of(System.getProperty("twinstream.home", "."))
                      .resolve("data/stsb-ccbysa/train.tsv"),
              4.0,
              1_000);
      default ->
          throw new IllegalArgumentException(
              "--task must be domain, incidents, sts or squad, got '" + task + "'");
    };
  }

  /** Starts the joiner once the corpus is on its topic. */
  private interface JoinerStart {
    FeedbackJoiner start() throws IOException;
  }

  /**
   * The rounds: corpus in, then per round users' interactions in, the joiner's pairs out, and the
   * round's update out.
   */
  private final class Rounds {
    private final RetrievalTask task;
    private final ModelRegistry registry;
    private final KafkaProducer<byte[], byte[]> producer;
    private final TopicTail embeddings;
    private final TopicTail updates;
    private final TopicTail pairs;
    private final JobClient job;
    private final SimulatedUsers users;
    private final TestQueries test;
    private final RetrievalTask.Split split;
    private final DemoReport report = new DemoReport();
    private final Configuration conf;
    private final Path work;
    private final StoreSpec storeSpec;
    private FeedbackJoiner joiner;
    private VectorStore vectorStore;
    private HttpSearches frontEnd;
    int sentencesIn;
    int interactionsIn;
    Map<String, Object> joinerSummary = Map.of();
    Map<String, Object> storeSummary = Map.of();
    private final ServedVersions served = new ServedVersions();
    private StoreLifecycle lifecycle;

    Rounds(
        RetrievalTask task,
        RetrievalTask.Split split,
        int k,
        ModelRegistry registry,
        KafkaProducer<byte[], byte[]> producer,
        TopicTail embeddings,
        TopicTail updates,
        TopicTail pairs,
        JobClient job,
        Configuration conf,
        Path work) {
      this.task = task;
      this.conf = conf;
      this.work = work;
      this.storeSpec = StoreOptions.spec(conf);
      this.registry = registry;
      this.producer = producer;
      this.embeddings = embeddings;
      this.updates = updates;
      this.pairs = pairs;
      this.job = job;
      this.users =
          new SimulatedUsers(
              task, split.traffic(), k, ClickModel.positionBiased(clickBias), seed, Instant.now());
      this.test = new TestQueries(task, split.test());
      this.split = split;
    }

    DemoReport run(JoinerStart startJoiner) throws Exception {
      ModelBundle base =
          registry.current().isPresent()
              ? registry.load(registry.current().get())
              : ModelBundle.builtin(ModelBundle.DEFAULT);
      if (storeSpec.kind() == StoreKind.PGVECTOR) {
        dropDemoTable();
      }
      streamCorpus();
      joiner = startJoiner.start();
      vectorStore = storeSpec.open();
      ServeOptions serveOptions = ServeOptions.defaults().withPort(0);
      Map<String, Object> kafka =
          Map.of("bootstrap.servers", conf.get(JobOptions.BOOTSTRAP_SERVERS));
      // The users' search application: twinstream serve, in this process, over HTTP.
      try (EmbeddingService embeddings =
              new EmbeddingService(
                  registry, registry.current().isPresent() ? "registry" : "default", serveOptions);
          ModelUpdatesFollower follower =
              new ModelUpdatesFollower(kafka, "model-updates", "default", embeddings::onUpdate);
          QueryServer server =
              new QueryServer(embeddings, vectorStore, registry, follower, serveOptions)) {
        frontEnd = new HttpSearches("http://localhost:" + server.port() + "/v1");
        err.println(
            "twinstream demo: users search through twinstream serve at http://localhost:"
                + server.port()
                + "/v1/search");
        rounds(base);
        awaitEventsRead();
        Set<String> clicked = new LinkedHashSet<>();
        for (FeedbackPair p : pairs.decoded(FeedbackPair.class)) {
          if (p.getLabel() >= 0.5f && p.getCandidateId() != null) {
            clicked.add(p.getCandidateId().toString());
          }
        }
        report.byClicks(clicked, task.relevance(), split.testSets()).forEach(out::println);
        out.flush();
        joinerSummary = joinerSummary();
        storeSummary = storeSummary();
      } finally {
        if (lifecycle != null) {
          lifecycle.close();
        }
        joiner.close();
        vectorStore.close();
      }
      return report;
    }

    private void rounds(ModelBundle base) throws Exception {
      awaitStored(base.version());
      long since = System.nanoTime();
      lifecycle =
          StoreLifecycle.open(
              conf,
              registry,
              conf.get(JobOptions.MODEL),
              Optional.empty(),
              "twinstream demo",
              err,
              served);
      lifecycle.controller().start();
      awaitServed(base.version(), since);
      CorpusVectors vectors = storedVectors(base.version());
      SentenceEncoder serving = SentenceEncoder.open(base, EncoderOptions.defaults());
      try {
        TestScores baseScores = test.scores(serving, vectors);
        out.println(DemoReport.baseLine(base.version(), baseScores.mean()));
        out.flush();
        report.base(base.version(), baseScores);
        for (int round = 1; round <= rounds; round++) {
          err.printf(
              Locale.ROOT,
              "twinstream demo: round %d/%d: users search until the joiner has written %d more"
                  + " pairs%n",
              round,
              rounds,
              pairsPerRound);
          int before = decisions(updates.decoded(ModelUpdate.class)).size();
          RoundFeedback feedback = searchUntil(round * pairsPerRound);
          long sent = System.nanoTime();
          out.println(feedback.line());
          out.flush();
          err.printf(
              Locale.ROOT,
              "twinstream demo: round %d/%d: %d pairs in all; the job is fine-tuning...%n",
              round,
              rounds,
              pairs.records().size());
          ModelUpdate update = awaitUpdate(before);
          double roundSeconds = (System.nanoTime() - sent) / 1e9;
          ModelBundle candidate =
              update.getSha256().isEmpty() ? null : registry.load(update.getVersion());
          TestScores score;
          if (update.getStatus() == ModelStatus.PROMOTED) {
            awaitServed(update.getVersion(), sent);
            vectors = storedVectors(update.getVersion());
            SentenceEncoder next = SentenceEncoder.open(candidate, EncoderOptions.defaults());
            serving.close();
            serving = next;
            score = test.scores(serving, vectors);
          } else if (candidate == null) {
            score = null;
          } else {
            try (SentenceEncoder rejected =
                SentenceEncoder.open(candidate, EncoderOptions.defaults())) {
              score = test.scores(rejected, null);
            }
          }
          out.println(
              DemoReport.line(update, score == null ? Double.NaN : score.mean(), roundSeconds));
          out.flush();
          report.round(update, score, roundSeconds, feedback);
        }
      } finally {
        serving.close();
      }
    }

    /**
     * Lets users search in batches until the joiner has written {@code target} pairs in all. A
     * search closes when a later search's events move the joiner's event time past its windows (the
     * demo's joiner has no idle advance), so a batch is done when every search but its last is
     * closed and their pairs are readable on {@code feedback-pairs}; the last one closes with the
     * next batch, in this round or the next. How many searches a round takes thus depends only on
     * the pairs they gave, never on timing, and a run repeats exactly.
     */
    private RoundFeedback searchUntil(long target) throws Exception {
      int firstPair = pairs.records().size();
      int firstSearch = users.searches();
      int events = 0;
      AvroCodec<Interaction> codec = AvroCodec.of(Interaction.class);
      while (pairs.records().size() < target) {
        long closed = joiner.metrics().get("searches_closed");
        double perSearch =
            closed == 0 ? 1.0 : Math.max(0.1, pairs.records().size() / (double) closed);
        long remaining = target - pairs.records().size();
        int batch = (int) Math.max(4, Math.min(512, Math.ceil(remaining / perSearch) + 1));
        List<Interaction> interactions = users.search(batch, frontEnd);
        for (Interaction event : interactions) {
          send("interactions", event.getRequestId().toString(), codec.encode(event));
        }
        producer.flush();
        events += interactions.size();
        interactionsIn += interactions.size();
        awaitJoined(users.searches() - 1);
        err.printf(
            Locale.ROOT,
            "twinstream demo: ... %d searches so far, %d pairs of %d%n",
            users.searches(),
            pairs.records().size(),
            target);
      }
      List<FeedbackPair> all = pairs.decoded(FeedbackPair.class);
      return RoundFeedback.of(
          users.searches() - firstSearch, events, all.subList(firstPair, all.size()));
    }

    /** Waits until the joiner has closed {@code searches} searches and their pairs are readable. */
    private void awaitJoined(long searches) throws Exception {
      awaitJoinerCount("searches_closed", searches, "searches closed");
      long written = joiner.metrics().get("pairs_out");
      pairs.await(
          FeedbackPair.class,
          Duration.ofMinutes(2),
          list -> list.size() >= written,
          this::checkJob);
    }

    /** Waits until the joiner has read every event sent, so that its counters are final. */
    private void awaitEventsRead() throws Exception {
      awaitJoinerCount("events_in", interactionsIn, "events read");
    }

    /** Waits up to 2 minutes until the joiner's counter {@code name} reaches {@code target}. */
    private void awaitJoinerCount(String name, long target, String what) throws Exception {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (joiner.metrics().get(name) < target) {
        checkJob();
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the feedback joiner has "
                  + joiner.metrics().get(name)
                  + " of "
                  + target
                  + " "
                  + what
                  + " after 2 minutes: "
                  + joiner.summary());
        }
        pairs.poll(Duration.ofMillis(100));
      }
    }

    private Map<String, Object> joinerSummary() {
      Map<String, Object> m = new LinkedHashMap<>(joiner.metrics().snapshot());
      // From simulated event time to the wall clock: meaningless here.
      m.remove("join_latency_last_ms");
      m.remove("join_latency_max_ms");
      m.put("mean_weight", joiner.metrics().meanWeight());
      return m;
    }

    private void streamCorpus() {
      AvroCodec<Sentence> codec = AvroCodec.of(Sentence.class);
      for (Map.Entry<String, String> d : task.corpus().entrySet()) {
        send(
            "sentences",
            d.getKey(),
            codec.encode(
                Sentence.newBuilder()
                    .setId(d.getKey())
                    .setText(d.getValue())
                    .setEventTime(Instant.now())
                    .build()));
        sentencesIn++;
      }
      producer.flush();
    }

    private void send(String topic, String key, byte[] value) {
      producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value));
    }

    /**
     * Waits until the store holds a row of {@code version} for every document: the corpus streamed
     * through the job and the store sink.
     */
    private void awaitStored(String version) throws Exception {
      int documents = task.corpus().size();
      Progress bar = progress.create(err, "embedding " + version, documents, "docs");
      long started = System.nanoTime();
      long deadline = started + Duration.ofMinutes(10).toNanos();
      long rows;
      while ((rows = vectorStore.count(version)) < documents) {
        checkJob();
        bar.update(rows, rows, "in the store");
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the store holds " + rows + " of " + documents + " vectors of " + version);
        }
        pairs.poll(Duration.ofMillis(200));
      }
      bar.complete(rows, rows, "in the store");
      bar.finish();
      Map<String, Object> v = served.of(version);
      v.put("filledBy", "stream");
      v.put("fillSeconds", (System.nanoTime() - started) / 1e9);
    }

    /**
     * Waits until the version lifecycle (in this process, as {@code twinstream run} runs it) has
     * given {@code version} a vector of every document, cut the store over to it and announced
     * FULLY_SERVED.
     */
    private void awaitServed(String version, long since) throws Exception {
      served.await(version, since, Duration.ofMinutes(30), this::checkJob);
      frontEnd.expect(version);
      err.printf(
          Locale.ROOT,
          "twinstream demo: the store serves %s (cut-over %.1f ms); FULLY_SERVED announced%n",
          version,
          ((Number) served.of(version).getOrDefault("cutOverMillis", Double.NaN)).doubleValue());
    }

    private CorpusVectors storedVectors(String version) {
      return CorpusVectors.fromStore(vectorStore, version, List.copyOf(task.corpus().keySet()));
    }

    /** Rows per version at the end, and the searches per version; fails on a mixed search. */
    private Map<String, Object> storeSummary() {
      if (frontEnd.mixed() > 0) {
        throw new IllegalStateException(
            frontEnd.mixed() + " searches mixed versions, e.g. " + frontEnd.lastMixed());
      }
      Map<String, Long> rows = vectorStore.versions();
      for (Map.Entry<String, Map<String, Object>> v : served.all().entrySet()) {
        long n = rows.getOrDefault(v.getKey(), 0L);
        v.getValue().put("rows", n);
        v.getValue().put("searches", frontEnd.perVersion().getOrDefault(v.getKey(), 0L));
        if (n != task.corpus().size()) {
          throw new IllegalStateException(
              v.getKey() + " has " + n + " rows for " + task.corpus().size() + " documents");
        }
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("store", storeSpec.kind().id());
      m.put("serving", vectorStore.servingVersion().orElse(""));
      m.put("mixedSearches", frontEnd.mixed());
      m.put("versions", served.all());
      for (Map.Entry<String, Map<String, Object>> v : served.all().entrySet()) {
        out.println(DemoReport.storeLine(v.getKey(), v.getValue()));
      }
      out.printf(
          Locale.ROOT,
          "store %s: %d searches through twinstream serve, none mixed versions%n",
          storeSpec.kind(),
          frontEnd.perVersion().values().stream().mapToLong(Long::longValue).sum());
      out.flush();
      return m;
    }

    private void dropDemoTable() throws java.sql.SQLException {
      try (java.sql.Connection c = java.sql.DriverManager.getConnection(storeSpec.location());
          java.sql.Statement st = c.createStatement()) {
        st.execute("DROP TABLE IF EXISTS demo_embeddings, demo_embeddings_serving");
      }
    }

    /** The rounds' decisions among {@code updates}: not the demo's own FULLY_SERVED ones. */
    private static List<ModelUpdate> decisions(List<ModelUpdate> updates) {
      return updates.stream().filter(u -> u.getStatus() != ModelStatus.FULLY_SERVED).toList();
    }

    private ModelUpdate awaitUpdate(int before) throws Exception {
      long started = System.nanoTime();
      long[] lastNote = {started};
      List<ModelUpdate> all =
          updates.await(
              ModelUpdate.class,
              Duration.ofMinutes(30),
              list -> decisions(list).size() > before,
              () -> {
                checkJob();
                if (System.nanoTime() - lastNote[0] > 15_000_000_000L) {
                  lastNote[0] = System.nanoTime();
                  err.printf(
                      Locale.ROOT,
                      "twinstream demo: ... still fine-tuning and evaluating (%.0f s)%n",
                      (lastNote[0] - started) / 1e9);
                }
              });
      List<ModelUpdate> decided = decisions(all);
      return decided.get(decided.size() - 1);
    }

    private void checkJob() throws Exception {
      if (joiner != null
          && (joiner.state() == KafkaStreams.State.ERROR
              || joiner.state() == KafkaStreams.State.NOT_RUNNING)) {
        throw new IllegalStateException("the feedback joiner stopped: " + joiner.summary());
      }
      if (job.getJobStatus().get().isGloballyTerminalState()) {
        job.getJobExecutionResult().get();
        throw new IllegalStateException("the job ended");
      }
    }
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
