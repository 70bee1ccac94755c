package io.twinstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.twinstream.embedder.EmbedderJob;
import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.TrainerOptions;
import io.twinstream.embedder.kafka.EmbeddedKafka;
import io.twinstream.embedder.model.ModelUpdates;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.ModelRegistry;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.records.DeadLetter;
import io.twinstream.records.Embedding;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.TrustedRecords;
import io.twinstream.trainer.data.BeirDataset;
import io.twinstream.trainer.eval.Evaluation;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.online.FineTuningRound;
import io.twinstream.trainer.task.DomainTask;
import io.twinstream.trainer.task.RetrievalTask;
import io.twinstream.trainer.task.StsTask;
import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Continuous learning end to end, embedded and self-contained: starts a Kafka broker and the "
        + "Flink job (embedding + trainer), streams a corpus, simulates users who search, click the relevant "
        + "shown result and skip the rest, and lets the job fine-tune, gate and hot-swap the encoder in rounds.",
        "Prints the base model's nDCG@10 on held-out test queries, then per round the gate decision and each "
            + "version's nDCG@10."})
final class DemoCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--rounds", defaultValue = "3", paramLabel = "N", description = "Fine-tuning rounds (default 3).")
  int rounds;

  @Option(names = "--task", defaultValue = "domain", paramLabel = "domain|sts",
      description = "Built-in task: 'domain' (generated on-call dialect whose code words the base model does not "
          + "know; default) or 'sts' (queries and documents from STS-benchmark pairs scored >= 4).")
  String task;

  @Option(names = "--corpus", paramLabel = "FILE", description = "BEIR corpus JSONL (with --queries, --qrels) "
      + "instead of a built-in task.")
  Path corpus;

  @Option(names = "--queries", paramLabel = "FILE", description = "BEIR queries JSONL.")
  Path queries;

  @Option(names = "--qrels", paramLabel = "FILE", description = "BEIR relevance TSV.")
  Path qrels;

  @Option(names = "--sts-file", paramLabel = "FILE", description = "STS TSV for --task sts (default: "
      + "data/stsb-ccbysa/train.tsv of the installation).")
  Path stsFile;

  @Option(names = "--problems", defaultValue = "24", paramLabel = "N",
      description = "Domain task: problems, i.e. code words (2-24, default 24).")
  int problems;

  @Option(names = "--services", defaultValue = "10", paramLabel = "N",
      description = "Domain task: services (1-12, default 10); documents = problems x services.")
  int services;

  @Option(names = "--queries-per-round", defaultValue = "96", paramLabel = "N",
      description = "Searches simulated per round (default 96); each gives --shown feedback pairs.")
  int queriesPerRound;

  @Option(names = "--shown", defaultValue = "10", paramLabel = "K", description = "Results shown per search "
      + "(default 10): the relevant one among them is clicked, the others are skipped (hard negatives).")
  int shown;

  @Option(names = "--learning-rate", defaultValue = "1e-4", paramLabel = "LR",
      description = "Peak learning rate of a round (default 1e-4; the job's own default is 2e-5).")
  double learningRate;

  @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "Task, split and users (default 42).")
  long seed;

  @Option(names = "--registry", paramLabel = "DIR", description = "Registry to publish into, kept afterwards "
      + "(default: a temporary directory, deleted). Each version works with 'twinstream embed --model DIR/VERSION'.")
  Path registryDir;

  @Option(names = "--report", paramLabel = "FILE", description = "Write the JSON report here.")
  Path report;

  @Option(names = "--chart", paramLabel = "FILE", description = "Write an HTML chart of nDCG@10 and loss per "
      + "version here (default: the report's path with .html).")
  Path chart;

  @picocli.CommandLine.Mixin
  ProgressOption progress;

  @Option(names = "--dump", paramLabel = "DIR",
      description = "Write everything that came out of embeddings and model-updates as JSONL here.")
  Path dump;

  private PrintWriter err;

  @Override
  public Integer call() throws Exception {
    err = spec.commandLine().getErr();
    PrintWriter out = spec.commandLine().getOut();
    TrustedRecords.install();
    RetrievalTask retrieval = loadTask();
    RetrievalTask.Split split = retrieval.split(0.2, seed);
    if (split.traffic().isEmpty() || split.test().isEmpty()) {
      throw new IllegalArgumentException("the task has too few judged queries (" + retrieval.queries().size()
          + ") for a traffic/dev/test split");
    }
    int k = Math.min(shown, retrieval.corpus().size());
    Path work = Files.createTempDirectory("twinstream-demo-");
    Path registryRoot = registryDir != null ? registryDir : work.resolve("registry");
    retrieval.writeBeir(work.resolve("dev"), split.dev());
    err.printf(Locale.ROOT, "twinstream demo: task '%s': %d documents, %d queries (%d traffic, %d dev for the "
        + "gate, %d test for this report)%n", retrieval.name(), retrieval.corpus().size(), retrieval.queries().size(),
        split.traffic().size(), split.dev().size(), split.test().size());
    err.println("twinstream demo: starting the Kafka broker and the Flink job (embedding + trainer)...");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopics(Map.of("sentences", 1, "embeddings", 1, "dead-letters", 1, "feedback-pairs", 1),
          Map.of());
      ModelRegistry registry = Registries.open(registryRoot.toString());
      new ModelUpdates(registry, "default", Map.of("bootstrap.servers", bootstrap), "model-updates").ensureTopic();
      Configuration conf = new Configuration();
      conf.set(EmbedderOptions.BOOTSTRAP_SERVERS, bootstrap);
      conf.set(EmbedderOptions.MODEL, registry.current().isPresent() ? "registry" : "default");
      conf.set(EmbedderOptions.MODEL_REGISTRY, registry.root().toString());
      conf.set(EmbedderOptions.START_POSITION, EmbedderOptions.StartPosition.EARLIEST);
      conf.set(EmbedderOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(1));
      conf.set(EmbedderOptions.RESTART_ATTEMPTS, 0);
      conf.set(TrainerOptions.ENABLED, true);
      conf.set(TrainerOptions.EVERY_PAIRS, (long) queriesPerRound * k);
      conf.set(TrainerOptions.EVERY, Duration.ofHours(24));
      conf.set(TrainerOptions.LEARNING_RATE, learningRate);
      conf.set(TrainerOptions.BATCH_SIZE, 16);
      conf.set(TrainerOptions.EVAL_CORPUS, work.resolve("dev/corpus.jsonl").toString());
      conf.set(TrainerOptions.EVAL_QUERIES, work.resolve("dev/queries.jsonl").toString());
      conf.set(TrainerOptions.EVAL_QRELS, work.resolve("dev/qrels.tsv").toString());
      Configuration cluster = new Configuration();
      StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, cluster);
      EmbedderJob.configureEnvironment(env, conf);
      EmbedderJob.build(env, conf);
      JobClient job = env.executeAsync("twinstream-demo");
      try (Tail embeddings = new Tail(bootstrap, "embeddings");
          Tail updates = new Tail(bootstrap, "model-updates");
          KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
        Demo demo = new Demo(retrieval, split, k, registry, producer, embeddings, updates, job);
        List<Map<String, Object>> versions = demo.run(out);
        List<ConsumerRecord<byte[], byte[]>> deadLetters;
        try (Tail dead = new Tail(bootstrap, "dead-letters")) {
          while (!dead.poll(Duration.ofSeconds(1)).isEmpty()) {
            // read to the end
          }
          deadLetters = dead.all;
        }
        Map<String, Object> topics = new LinkedHashMap<>();
        topics.put("sentences", Map.of("in", demo.sentencesIn));
        topics.put("feedback-pairs", Map.of("in", demo.feedbackIn));
        topics.put("embeddings", Map.of("out", embeddings.all.size()));
        topics.put("model-updates", Map.of("out", updates.all.size()));
        topics.put("dead-letters", Map.of("out", deadLetters.size()));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("task", Map.of("name", retrieval.name(), "documents", retrieval.corpus().size(), "trafficQueries",
            split.traffic().size(), "devQueries", split.dev().size(), "testQueries", split.test().size()));
        doc.put("metric", "test/ndcg@10: nDCG@10 on test queries never trained or gated on");
        doc.put("versions", versions);
        doc.put("topics", topics);
        doc.put("registry", registry.root().toString());
        if (report != null) {
          if (report.toAbsolutePath().getParent() != null) {
            Files.createDirectories(report.toAbsolutePath().getParent());
          }
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(report.toFile(), doc);
          Path html = chart != null ? chart : report.resolveSibling(report.getFileName().toString()
              .replaceFirst("\\.json$", "") + ".html");
          Files.writeString(html, Chart.html(versions), StandardCharsets.UTF_8);
          err.println("twinstream demo: report " + report + ", chart " + html);
        } else if (chart != null) {
          Files.writeString(chart, Chart.html(versions), StandardCharsets.UTF_8);
        }
        if (dump != null) {
          dump(embeddings.all, updates.all);
        }
      } finally {
        job.cancel().get();
      }
      if (registryDir != null) {
        err.println("twinstream demo: every published version is kept in " + registry.root());
      }
    } finally {
      deleteTree(work);
    }
    return 0;
  }

  private RetrievalTask loadTask() throws Exception {
    if (corpus != null || queries != null || qrels != null) {
      if (corpus == null || queries == null || qrels == null) {
        throw new IllegalArgumentException("--corpus, --queries and --qrels go together");
      }
      BeirDataset data = BeirDataset.read(corpus, queries, qrels);
      data.badLines().forEach(b -> err.println("twinstream demo: " + b + " (skipped)"));
      return RetrievalTask.of("files", data);
    }
    return switch (task) {
      case "domain" -> DomainTask.generate(problems, services, 2, seed);
      case "sts" -> StsTask.read(stsFile != null ? stsFile : Path.of(System.getProperty("twinstream.home", "."))
          .resolve("data/stsb-ccbysa/train.tsv"), 4.0, 1_000);
      default -> throw new IllegalArgumentException("--task must be domain or sts, got '" + task + "'");
    };
  }

  /** The simulation: corpus, users, rounds. */
  private final class Demo {
    private final RetrievalTask task;
    private final RetrievalTask.Split split;
    private final int k;
    private final ModelRegistry registry;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Tail embeddings;
    private final Tail updates;
    private final JobClient job;
    private final List<String> docIds;
    int sentencesIn;
    int feedbackIn;
    private int probes;
    private int trafficCursor;

    Demo(RetrievalTask task, RetrievalTask.Split split, int k, ModelRegistry registry,
        KafkaProducer<byte[], byte[]> producer, Tail embeddings, Tail updates, JobClient job) {
      this.task = task;
      this.split = split;
      this.k = k;
      this.registry = registry;
      this.producer = producer;
      this.embeddings = embeddings;
      this.updates = updates;
      this.job = job;
      this.docIds = new ArrayList<>(task.corpus().keySet());
    }

    List<Map<String, Object>> run(PrintWriter out) throws Exception {
      List<Map<String, Object>> versions = new ArrayList<>();
      ModelBundle serving = registry.current().isPresent() ? registry.load(registry.current().get())
          : ModelBundle.builtin(ModelBundle.DEFAULT);
      streamCorpus();
      Map<String, float[]> vectors = awaitCorpus(serving.version());
      try (Serving current = new Serving(serving)) {
        return rounds(out, current, vectors, versions);
      }
    }

    /** The serving version with its encoder, opened once and reopened only on a promotion. */
    private static final class Serving implements AutoCloseable {
      ModelBundle bundle;
      SentenceEncoder encoder;

      Serving(ModelBundle bundle) throws Exception {
        switchTo(bundle);
      }

      void switchTo(ModelBundle next) throws Exception {
        SentenceEncoder opened = SentenceEncoder.open(next, EncoderOptions.defaults());
        close();
        bundle = next;
        encoder = opened;
      }

      @Override
      public void close() {
        if (encoder != null) {
          encoder.close();
        }
      }
    }

    private List<Map<String, Object>> rounds(PrintWriter out, Serving serving, Map<String, float[]> vectors,
        List<Map<String, Object>> versions) throws Exception {
      double base = testScore(serving.encoder, vectors);
      out.printf(Locale.ROOT, "version %-24s serving   test nDCG@10 %.4f  (base model)%n",
          serving.bundle.version(), base);
      out.flush();
      versions.add(version(serving.bundle.version(), "BASE", null, base, Map.of(), null));
      for (int round = 1; round <= rounds; round++) {
        err.printf(Locale.ROOT, "twinstream demo: round %d/%d: %d searches by simulated users%n", round, rounds,
            queriesPerRound);
        int before = updates.all.size();
        simulateUsers(serving.encoder, vectors);
        long sent = System.nanoTime();
        err.printf(Locale.ROOT, "twinstream demo: round %d/%d: %d feedback pairs sent (%d in all); the job is "
            + "fine-tuning...%n", round, rounds, queriesPerRound * k, feedbackIn);
        ModelUpdate update = awaitUpdate(before);
        double roundSeconds = (System.nanoTime() - sent) / 1e9;
        ModelBundle candidate = update.getSha256().isEmpty() ? null : registry.load(update.getVersion());
        double score;
        if (update.getStatus() == ModelStatus.PROMOTED) {
          awaitServing(update.getVersion());
          streamCorpus(); // the backfill stand-in: every served version's vectors cover the corpus
          vectors = awaitCorpus(update.getVersion());
          serving.switchTo(candidate);
          score = testScore(serving.encoder, vectors);
        } else if (candidate == null) {
          score = Double.NaN;
        } else {
          try (SentenceEncoder rejected = SentenceEncoder.open(candidate, EncoderOptions.defaults())) {
            score = testScore(rejected, null);
          }
        }
        Map<String, Double> m = update.getMetrics();
        out.printf(Locale.ROOT, "version %-24s %-9s test nDCG@10 %.4f  gate: %s  (%.0f pairs, loss %.3f, "
            + "training %.1f s of a %.1f s round)%n", update.getVersion(), update.getStatus(), score,
            update.getReason(), m.getOrDefault(FineTuningRound.PAIRS, Double.NaN),
            m.getOrDefault(FineTuningRound.LAST_LOSS, Double.NaN),
            m.getOrDefault(FineTuningRound.TRAIN_SECONDS, Double.NaN), roundSeconds);
        out.flush();
        Map<String, Object> v = version(update.getVersion(), update.getStatus().name(), update.getParentVersion(),
            score, m, update.getReason());
        v.put("roundSeconds", roundSeconds);
        versions.add(v);
      }
      return versions;
    }

    private Map<String, Object> version(String version, String status, String parent, double testNdcg,
        Map<String, Double> metrics, String reason) {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("version", version);
      v.put("status", status);
      v.put("parent", parent);
      v.put("test/ndcg@10", finite(testNdcg));
      v.put("pairsUsed", finite(metrics.getOrDefault(FineTuningRound.PAIRS, Double.NaN)));
      v.put("trainSeconds", finite(metrics.getOrDefault(FineTuningRound.TRAIN_SECONDS, Double.NaN)));
      v.put("lastLoss", finite(metrics.getOrDefault(FineTuningRound.LAST_LOSS, Double.NaN)));
      v.put("gate", reason);
      Map<String, Object> all = new LinkedHashMap<>();
      metrics.forEach((name, value) -> all.put(name, finite(value)));
      v.put("metrics", all);
      return v;
    }

    private void streamCorpus() throws Exception {
      for (Map.Entry<String, String> d : task.corpus().entrySet()) {
        send("sentences", d.getKey(), AvroCodec.of(Sentence.class).encode(Sentence.newBuilder().setId(d.getKey())
            .setText(d.getValue()).setEventTime(Instant.now()).build()));
        sentencesIn++;
      }
      producer.flush();
    }

    private void send(String topic, String key, byte[] value) {
      producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value));
    }

    /** Waits until every document has a vector of {@code version}; returns them. */
    private Map<String, float[]> awaitCorpus(String version) throws Exception {
      long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      Progress bar = progress.create(err, "embedding " + version, task.corpus().size(), "docs");
      while (true) {
        Map<String, float[]> vectors = new HashMap<>();
        embeddings.poll(Duration.ofMillis(200));
        for (Embedding e : embeddings.decoded(Embedding.class)) {
          if (e.getModelVersion().equals(version) && task.corpus().containsKey(e.getId())) {
            float[] v = new float[e.getVector().size()];
            for (int i = 0; i < v.length; i++) {
              v[i] = e.getVector().get(i);
            }
            vectors.put(e.getId(), v);
          }
        }
        bar.update(vectors.size(), vectors.size(), null);
        if (vectors.size() == task.corpus().size()) {
          bar.complete(vectors.size(), vectors.size(), null);
          bar.finish();
          return vectors;
        }
        checkJob(deadline, "embeddings of " + version);
      }
    }

    private void simulateUsers(SentenceEncoder encoder, Map<String, float[]> vectors) throws Exception {
      List<String> batch = new ArrayList<>();
      for (int i = 0; i < queriesPerRound; i++) {
        batch.add(split.traffic().get(trafficCursor++ % split.traffic().size()));
      }
      List<SentenceEmbedding> qs = encoder.encode(batch.stream().map(task.queries()::get).toList());
      for (int i = 0; i < batch.size(); i++) {
        List<String> top = topK(qs.get(i).vector(), vectors);
        Map<String, Integer> relevant = task.relevance().get(batch.get(i));
        String clicked = top.stream().filter(d -> relevant.getOrDefault(d, 0) > 0).findFirst().orElse(null);
        for (String doc : top) {
          boolean click = doc.equals(clicked);
          send("feedback-pairs", batch.get(i), AvroCodec.of(FeedbackPair.class).encode(FeedbackPair.newBuilder()
              .setAnchor(task.queries().get(batch.get(i))).setCandidate(task.corpus().get(doc))
              .setLabel(click ? 1f : 0f).setSource(click ? "click" : "skip").setEventTime(Instant.now())
              .setAnchorId(batch.get(i)).setCandidateId(doc).build()));
          feedbackIn++;
        }
      }
      producer.flush();
    }

    private List<String> topK(float[] q, Map<String, float[]> vectors) {
      List<String> ids = new ArrayList<>(docIds);
      Map<String, Double> score = new HashMap<>();
      for (String id : ids) {
        float[] v = vectors.get(id);
        double s = 0;
        for (int d = 0; d < q.length; d++) {
          s += q[d] * v[d];
        }
        score.put(id, s);
      }
      ids.sort((a, b) -> Double.compare(score.get(b), score.get(a)));
      return ids.subList(0, k);
    }

    /** nDCG@10 on the test queries: documents from {@code vectors} (the topic's) or embedded here when null. */
    private double testScore(SentenceEncoder encoder, Map<String, float[]> vectors) throws Exception {
      RetrievalEvaluator test = task.evaluator(split.test());
      Evaluation e = test.evaluate(texts -> {
        float[][] out = new float[texts.size()][];
        List<String> toEncode = new ArrayList<>();
        List<Integer> where = new ArrayList<>();
        Map<String, String> idOfDoc = new HashMap<>();
        task.corpus().forEach((id, text) -> idOfDoc.putIfAbsent(text, id));
        for (int i = 0; i < texts.size(); i++) {
          String id = idOfDoc.get(texts.get(i));
          if (vectors != null && id != null && vectors.containsKey(id)) {
            out[i] = vectors.get(id); // the vector the job emitted for this version
          } else {
            toEncode.add(texts.get(i));
            where.add(i);
          }
        }
        List<SentenceEmbedding> encoded = encoder.encode(toEncode);
        for (int j = 0; j < encoded.size(); j++) {
          out[where.get(j)] = encoded.get(j).vector();
        }
        return out;
      });
      return e.metrics().get("ndcg@10");
    }

    private ModelUpdate awaitUpdate(int before) throws Exception {
      long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
      long started = System.nanoTime();
      long lastNote = started;
      while (true) {
        updates.poll(Duration.ofMillis(500));
        List<ModelUpdate> all = updates.decoded(ModelUpdate.class);
        if (all.size() > before) {
          return all.get(all.size() - 1);
        }
        if (System.nanoTime() - lastNote > 15_000_000_000L) {
          lastNote = System.nanoTime();
          err.printf(Locale.ROOT, "twinstream demo: ... still fine-tuning and evaluating (%.0f s)%n",
              (lastNote - started) / 1e9);
        }
        checkJob(deadline, "a model update");
      }
    }

    /** Sends a probe sentence a second until one comes back embedded by {@code version}. */
    private void awaitServing(String version) throws Exception {
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (true) {
        String id = "probe-" + probes++;
        send("sentences", id, AvroCodec.of(Sentence.class).encode(Sentence.newBuilder().setId(id)
            .setText("Is the new model serving yet?").setEventTime(Instant.now()).build()));
        sentencesIn++;
        producer.flush();
        embeddings.poll(Duration.ofSeconds(1));
        for (Embedding e : embeddings.decoded(Embedding.class)) {
          if (e.getModelVersion().equals(version)) {
            return;
          }
        }
        checkJob(deadline, version + " to serve");
      }
    }

    private void checkJob(long deadline, String what) throws Exception {
      if (job.getJobStatus().get().isGloballyTerminalState()) {
        job.getJobExecutionResult().get();
        throw new IllegalStateException("the job ended while waiting for " + what);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what);
      }
    }
  }

  private void dump(List<ConsumerRecord<byte[], byte[]>> embeddings, List<ConsumerRecord<byte[], byte[]>> updates)
      throws Exception {
    Files.createDirectories(dump);
    writeJsonl(dump.resolve("embeddings.jsonl"), embeddings, Embedding.class);
    writeJsonl(dump.resolve("model-updates.jsonl"), updates, ModelUpdate.class);
    err.println("twinstream demo: dumped " + embeddings.size() + " embeddings and " + updates.size()
        + " model updates to " + dump);
  }

  private static <T extends org.apache.avro.specific.SpecificRecord> void writeJsonl(Path file,
      List<ConsumerRecord<byte[], byte[]>> records, Class<T> type) throws Exception {
    AvroCodec<T> codec = AvroCodec.of(type);
    ObjectMapper json = new ObjectMapper();
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (ConsumerRecord<byte[], byte[]> r : records) {
        w.write(json.writeValueAsString(io.twinstream.schemas.AvroJson.toJson(codec.decode(r.value()))));
        w.write('\n');
      }
    }
  }

  private static Object finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static void deleteTree(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Everything committed on one topic, read from the beginning as it arrives. */
  private static final class Tail implements AutoCloseable {
    final List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
    private final List<Object> decoded = new ArrayList<>();
    private final KafkaConsumer<byte[], byte[]> consumer;

    Tail(String bootstrap, String topic) {
      Map<String, Object> config = new HashMap<>();
      config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
    }

    List<ConsumerRecord<byte[], byte[]>> poll(Duration timeout) {
      List<ConsumerRecord<byte[], byte[]>> fresh = new ArrayList<>();
      consumer.poll(timeout).forEach(fresh::add);
      all.addAll(fresh);
      return fresh;
    }

    /** Every record so far, decoded as {@code type} (each one once: a tail carries one record type). */
    @SuppressWarnings("unchecked")
    <T extends org.apache.avro.specific.SpecificRecord> List<T> decoded(Class<T> type) throws Exception {
      AvroCodec<T> codec = AvroCodec.of(type);
      for (int i = decoded.size(); i < all.size(); i++) {
        decoded.add(codec.decode(all.get(i).value()));
      }
      return (List<T>) (List<?>) java.util.Collections.unmodifiableList(decoded);
    }

    @Override
    public void close() {
      consumer.close();
    }
  }
}
