package io.twinstream.cli.demo;

import io.twinstream.cli.progress.Progress;
import io.twinstream.cli.progress.ProgressOption;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.store.StoreOptions;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.bridge.QueryBridge;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.joiner.FeedbackJoiner;
import io.twinstream.lifecycle.flink.StoreLifecycle;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Interaction;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.serve.EmbeddingService;
import io.twinstream.serve.ModelUpdatesFollower;
import io.twinstream.serve.QueryServer;
import io.twinstream.serve.ServeOptions;
import io.twinstream.store.StoreKind;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import io.twinstream.testkit.ClickModel;
import io.twinstream.testkit.TopicTail;
import io.twinstream.trainer.eval.NegativeFlips;
import io.twinstream.trainer.online.FineTuningRound;
import io.twinstream.trainer.task.RetrievalTask;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The rounds: corpus in, then per round users' interactions in, the joiner's pairs out, and the
 * round's update out.
 */
public final class DemoRounds {
  private final RetrievalTask task;
  private final ModelRegistry registry;
  private final KafkaProducer<byte[], byte[]> producer;
  private final TopicTail embeddings;
  private final PrintWriter out;
  private final PrintWriter err;
  private final ProgressOption progress;
  private final int rounds;
  private final long pairsPerRound;
  private final double clickBias;
  private final long seed;
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
  DemoSummaries.Joiner joinerSummary = DemoSummaries.Joiner.none();
  DemoSummaries.Store storeSummary = DemoSummaries.Store.none();
  private final ServedVersions served = new ServedVersions();
  private StoreLifecycle lifecycle;

  DemoRounds(
      DemoSettings settings,
      PrintWriter out,
      PrintWriter err,
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
    this.out = out;
    this.err = err;
    this.progress = settings.progress();
    this.rounds = settings.rounds();
    this.pairsPerRound = settings.pairsPerRound();
    this.clickBias = settings.clickBias();
    this.seed = settings.seed();
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

  DemoReport run(Demo.JoinerStart startJoiner) throws Exception {
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
    Map<String, Object> kafka = Map.of("bootstrap.servers", conf.get(JobOptions.BOOTSTRAP_SERVERS));
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
      TestScores servingScores = baseScores;
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
        long updated = System.nanoTime();
        double roundSeconds = (updated - sent) / 1e9;
        ModelBundle candidate =
            update.getSha256().isEmpty() ? null : registry.load(update.getVersion());
        TestScores score;
        BridgedSearches bridged = null;
        QueryBridge adapter = candidate == null ? null : FineTuningRound.adapterOf(candidate);
        if (update.getStatus() == ModelStatus.PROMOTED && adapter != null) {
          // Adapter mode: the store keeps the vectors its queries are mapped into; no backfill.
          bridged = bridged(update.getVersion(), updated, servingScores, "adapter");
          vectors = storedVectors(adapter.to());
          SentenceEncoder next = SentenceEncoder.open(candidate, EncoderOptions.defaults());
          serving.close();
          serving = next;
          score = test.scores(serving, vectors, adapter);
          servingScores = score;
        } else if (update.getStatus() == ModelStatus.PROMOTED) {
          bridged = bridged(update.getVersion(), updated, servingScores, "bridge");
          awaitServed(update.getVersion(), sent);
          vectors = storedVectors(update.getVersion());
          SentenceEncoder next = SentenceEncoder.open(candidate, EncoderOptions.defaults());
          serving.close();
          serving = next;
          score = test.scores(serving, vectors);
          servingScores = score;
        } else if (candidate == null) {
          score = null;
        } else {
          try (SentenceEncoder rejected =
              SentenceEncoder.open(candidate, EncoderOptions.defaults())) {
            score = test.scores(rejected, null, adapter);
          }
        }
        out.println(
            DemoReport.line(update, score == null ? Double.NaN : score.mean(), roundSeconds));
        if (bridged != null) {
          out.println(bridged.line(update.getVersion()));
        }
        out.flush();
        report.round(update, score, roundSeconds, feedback, bridged);
      }
    } finally {
      serving.close();
    }
  }

  /**
   * Lets users search in batches until the joiner has written {@code target} pairs in all. A search
   * closes when a later search's events move the joiner's event time past its windows (the demo's
   * joiner has no idle advance), so a batch is done when every search but its last is closed and
   * their pairs are readable on {@code feedback-pairs}; the last one closes with the next batch, in
   * this round or the next. How many searches a round takes thus depends only on the pairs they
   * gave, never on timing, and a run repeats exactly.
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
        FeedbackPair.class, Duration.ofMinutes(2), list -> list.size() >= written, this::checkJob);
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

  private DemoSummaries.Joiner joinerSummary() {
    Map<String, Long> m = new LinkedHashMap<>(joiner.metrics().snapshot());
    // From simulated event time to the wall clock: meaningless here.
    m.remove("join_latency_last_ms");
    m.remove("join_latency_max_ms");
    return new DemoSummaries.Joiner(m, joiner.metrics().meanWeight());
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
    served.of(version).streamed((System.nanoTime() - started) / 1e9);
  }

  /**
   * Waits until the version lifecycle (in this process, as {@code twinstream run} runs it) has
   * given {@code version} a vector of every document, cut the store over to it and announced
   * FULLY_SERVED.
   */
  /**
   * What the users' searches got between {@code version}'s promotion and its cut-over: searches
   * until {@code /v1/search} answers through its query bridge (or the store already serves it),
   * then the test queries through {@code /v1/search}, scored.
   */
  private BridgedSearches bridged(String version, long promoted, TestScores old, String via)
      throws Exception {
    List<String> queries = test.queryTexts();
    long deadline = promoted + Duration.ofSeconds(60).toNanos();
    while (true) {
      HttpSearches.Answer a = frontEnd.answers(queries.subList(0, 1), 10).get(0);
      if (a.bridged() && a.queryModel().equals(version)) {
        break;
      }
      if (a.model().equals(version)) {
        return BridgedSearches.not(
            via, "the store served it before a search went through its " + via);
      }
      if (System.nanoTime() > deadline) {
        return BridgedSearches.not(via, "no search went through its query " + via + " in 60 s");
      }
      checkJob();
      Thread.sleep(20);
    }
    double seconds = (System.nanoTime() - promoted) / 1e9;
    List<HttpSearches.Answer> answers = frontEnd.answers(queries, 10);
    TestScores scores = test.scores(answers.stream().map(HttpSearches.Answer::ids).toList());
    int bridgedAnswers = (int) answers.stream().filter(HttpSearches.Answer::bridged).count();
    return new BridgedSearches(
        via,
        seconds,
        scores.mean(),
        NegativeFlips.of(old.perQuery(), scores.perQuery()).share(),
        bridgedAnswers,
        bridgedAnswers == answers.size()
            ? "every test search went through the " + via
            : "the store cut over while the test queries were searched");
  }

  private void awaitServed(String version, long since) throws Exception {
    served.await(version, since, Duration.ofMinutes(30), this::checkJob);
    frontEnd.expect(version);
    err.printf(
        Locale.ROOT,
        "twinstream demo: the store serves %s (cut-over %.1f ms); FULLY_SERVED announced%n",
        version,
        served.of(version).cutOverMillis());
  }

  private CorpusVectors storedVectors(String version) {
    return CorpusVectors.fromStore(vectorStore, version, List.copyOf(task.corpus().keySet()));
  }

  /** Rows per version at the end, and the searches per version; fails on a mixed search. */
  private DemoSummaries.Store storeSummary() {
    if (frontEnd.mixed() > 0) {
      throw new IllegalStateException(
          frontEnd.mixed() + " searches mixed versions, e.g. " + frontEnd.lastMixed());
    }
    Map<String, Long> rows = vectorStore.versions();
    Map<String, StoredVersion> versions = served.all();
    for (Map.Entry<String, StoredVersion> v : versions.entrySet()) {
      long n = rows.getOrDefault(v.getKey(), 0L);
      v.getValue().ended(n, frontEnd.perVersion().getOrDefault(v.getKey(), 0L));
      if (n != task.corpus().size()) {
        throw new IllegalStateException(
            v.getKey() + " has " + n + " rows for " + task.corpus().size() + " documents");
      }
    }
    for (Map.Entry<String, StoredVersion> v : versions.entrySet()) {
      out.println(v.getValue().line(v.getKey()));
    }
    out.printf(
        Locale.ROOT,
        "store %s: %d searches through twinstream serve, none mixed versions%n",
        storeSpec.kind(),
        frontEnd.perVersion().values().stream().mapToLong(Long::longValue).sum());
    out.flush();
    return new DemoSummaries.Store(
        storeSpec.kind().id(), vectorStore.servingVersion().orElse(""), frontEnd.mixed(), versions);
  }

  private void dropDemoTable() throws java.sql.SQLException {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(storeSpec.location());
        java.sql.Statement st = c.createStatement()) {
      st.execute(
          "DROP TABLE IF EXISTS demo_embeddings, demo_embeddings_serving, demo_embeddings_deleted");
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
