package io.twinstream.bench;

import io.twinstream.embedder.EmbedderJob;
import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobEnvironment;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.JobOptions.Guarantee;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.kafka.Topics;
import io.twinstream.records.Embedding;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.testkit.KafkaProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * End-to-end harness of the stream embedder: Kafka (a broker in a child JVM) → Flink (local
 * mini-cluster) → Kafka, on {@link BenchCorpus} sentences.
 *
 * <ol>
 *   <li>Throughput, exactly-once, parallelism 1 and 2: sentences are produced first, then a bounded
 *       job embeds them; the rate is sentences over the span of {@code embeddedAt} stamps (job
 *       start-up and model loading excluded), next to the bare {@link SentenceEncoder} on the same
 *       sentences in the same run.
 *   <li>Latency at half the measured parallelism-1 rate: a producer sends at that rate with event
 *       time = send time; a consumer records event time → operator emit ({@code embeddedAt}) and
 *       event time → visible to the consumer, under exactly-once (read_committed; visibility
 *       follows the checkpoint interval) and at-least-once (read_uncommitted).
 * </ol>
 *
 * <p>{@code java [-Dtwinstream.bench.model=default-int8] -cp bench/target/benchmarks.jar
 * io.twinstream.bench.StreamBenchmark [sentences] [latency seconds] [parallelisms]} from the
 * repository root.
 */
public final class StreamBenchmark {

  private static final AvroCodec<Sentence> SENTENCES = AvroCodec.of(Sentence.class);
  private static final AvroCodec<Embedding> EMBEDDINGS = AvroCodec.of(Embedding.class);

  private StreamBenchmark() {}

  public static void main(String[] args) throws Exception {
    int sentences = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int latencySeconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    boolean latencyOnly = Boolean.getBoolean("twinstream.bench.latencyOnly");
    String model = System.getProperty("twinstream.bench.model", ModelBundle.DEFAULT);
    int[] parallelisms =
        args.length > 2
            ? Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray()
            : new int[] {1, 2};
    List<String> texts = BenchCorpus.sentences(sentences);
    Path dir = Files.createDirectories(Path.of("bench-results", "stream"));
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "Machine: %s%nSentences: %,d STS sentences; model %s%n%n",
            MachineInfo.describe(),
            sentences,
            model));
    try (KafkaProcess kafka =
        KafkaProcess.start(dir.resolve("kafka-" + System.nanoTime()), 0, Duration.ofSeconds(90))) {
      String bootstrap = kafka.bootstrapServers();
      int micro = new Configuration().get(EmbedderOptions.BATCH_SIZE);
      double sorted = latencyOnly ? 0 : bareEncoder(model, texts, texts.size());
      double bare = latencyOnly ? 0 : bareEncoder(model, texts, micro);
      log(
          "bare encoder: %.0f sentences/s in arrival-order calls of %d, %.0f sentences/s in one call",
          bare, micro, sorted);
      md.append(
          "| pipeline | parallelism | sentences/s (embeddedAt span) | vs bare encoder (same run) | wall s incl. start-up |\n");
      md.append("|---|---:|---:|---:|---:|\n");
      md.append(
          String.format(
              Locale.ROOT,
              "| bare SentenceEncoder, calls of %d sentences in arrival order (as the "
                  + "job), batch 32, 2 threads | - | %,.0f | 1.00x | - |%n",
              micro,
              bare));
      md.append(
          String.format(
              Locale.ROOT,
              "| bare SentenceEncoder, all %,d sentences in one call (sorted globally) "
                  + "| - | %,.0f | %.2fx | - |%n",
              sentences,
              sorted,
              sorted / bare));
      double rateP1 = 0;
      for (int p : latencyOnly ? new int[0] : parallelisms) {
        String run = "tp" + p;
        createTopics(bootstrap, run);
        produceAll(bootstrap, "sentences-" + run, texts);
        Configuration conf = conf(bootstrap, run, Guarantee.EXACTLY_ONCE, p, true);
        conf.set(JobOptions.MODEL, model);
        long t0 = System.nanoTime();
        runBounded(conf);
        double wall = (System.nanoTime() - t0) / 1e9;
        List<Embedding> out = readAll(bootstrap, "embeddings-" + run, "read_committed");
        if (out.size() != sentences) {
          throw new IllegalStateException(
              "parallelism " + p + ": " + out.size() + " embeddings for " + sentences);
        }
        long first =
            out.stream().mapToLong(e -> e.getEmbeddedAt().toEpochMilli()).min().orElseThrow();
        long last =
            out.stream().mapToLong(e -> e.getEmbeddedAt().toEpochMilli()).max().orElseThrow();
        double rate = sentences / Math.max(0.001, (last - first) / 1000.0);
        if (p == 1) {
          rateP1 = rate;
        }
        log(
            "Kafka -> Flink -> Kafka, exactly-once, parallelism %d: %.0f sentences/s (%.2fx bare), wall %.1f s",
            p, rate, rate / bare, wall);
        md.append(
            String.format(
                Locale.ROOT,
                "| Kafka → Flink → Kafka, exactly-once | %d | %,.0f | %.2fx | %.1f |%n",
                p,
                rate,
                rate / bare,
                wall));
      }
      double offered =
          latencyOnly
              ? Double.parseDouble(System.getProperty("twinstream.bench.rate", "200"))
              : rateP1 / 2;
      md.append(
          String.format(
              Locale.ROOT,
              "%nLatency at %.0f sentences/s offered (half the parallelism-1 rate), "
                  + "parallelism 1, the job's batch defaults (up to 256 sentences or 8,192 tokens, no wait on an idle encoder), encoder batches of 32, checkpoint interval 2 s, %d s per run:%n%n",
              offered,
              latencySeconds));
      md.append(
          "| guarantee | consumer isolation | records | emit p50 ms | emit p99 ms | visible p50 ms | visible p99 ms |\n");
      md.append("|---|---|---:|---:|---:|---:|---:|\n");
      Guarantee[] guarantees =
          Arrays.stream(
                  System.getProperty("twinstream.bench.guarantees", "EXACTLY_ONCE,AT_LEAST_ONCE")
                      .split(","))
              .filter(g -> !g.isBlank())
              .map(g -> Guarantee.valueOf(g.trim()))
              .toArray(Guarantee[]::new);
      for (Guarantee g : latencySeconds > 0 ? guarantees : new Guarantee[0]) {
        String isolation = g == Guarantee.EXACTLY_ONCE ? "read_committed" : "read_uncommitted";
        double[] r =
            latency(
                bootstrap,
                "lat-" + g.name().toLowerCase(Locale.ROOT),
                g,
                isolation,
                texts,
                offered,
                latencySeconds);
        log(
            "%s: emit p50 %.0f p99 %.0f ms, visible p50 %.0f p99 %.0f ms (%d records)",
            g, r[1], r[2], r[3], r[4], (long) r[0]);
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %,d | %.0f | %.0f | %.0f | %.0f |%n",
                g,
                isolation,
                (long) r[0],
                r[1],
                r[2],
                r[3],
                r[4]));
      }
      String curve = System.getProperty("twinstream.bench.curve", "");
      if (!curve.isBlank() && rateP1 > 0) {
        latencyCurve(bootstrap, texts, rateP1, curve, latencySeconds, md);
      }
    }
    System.out.println();
    System.out.println(md);
    Files.writeString(
        Path.of("bench-results", "stream-" + model + ".md"), md.toString(), StandardCharsets.UTF_8);
  }

  /**
   * Latency against offered load, by default at-least-once and read_uncommitted (what the operator
   * adds, not the checkpoint interval; {@code -Dtwinstream.bench.curveGuarantee=EXACTLY_ONCE} for
   * read_committed visibility): each point a fresh job at {@code percent}% of the parallelism-1
   * rate measured in this run, one after the other in this JVM (the first job of a JVM runs cold:
   * start the curve at a low load, or repeat its first point); a table and a chart ({@code
   * bench-results/stream-latency-curve.png}).
   */
  private static void latencyCurve(
      String bootstrap,
      List<String> texts,
      double maxRate,
      String percents,
      int seconds,
      StringBuilder md)
      throws Exception {
    double[] load = Arrays.stream(percents.split(",")).mapToDouble(Double::parseDouble).toArray();
    Guarantee guarantee =
        Guarantee.valueOf(System.getProperty("twinstream.bench.curveGuarantee", "AT_LEAST_ONCE"));
    String isolation = guarantee == Guarantee.EXACTLY_ONCE ? "read_committed" : "read_uncommitted";
    double[][] r = new double[load.length][];
    md.append(
        String.format(
            Locale.ROOT,
            "%nLatency against offered load (%s, %s, parallelism 1; 100%% ="
                + " %.0f sentences/s, the parallelism-1 rate above), %d s per point:%n%n",
            guarantee,
            isolation,
            maxRate,
            seconds));
    md.append(
        "| load | offered/s | records | emit p50 ms | emit p99 ms | visible p50 ms | visible p99 ms |\n");
    md.append("|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < load.length; i++) {
      double offered = maxRate * load[i] / 100;
      r[i] = latency(bootstrap, "curve-" + i, guarantee, isolation, texts, offered, seconds);
      log(
          "%.0f%% (%.0f/s): emit p50 %.0f p99 %.0f ms, visible p50 %.0f p99 %.0f ms",
          load[i], offered, r[i][1], r[i][2], r[i][3], r[i][4]);
      md.append(
          String.format(
              Locale.ROOT,
              "| %.0f%% | %.0f | %,d | %.0f | %.0f | %.0f | %.0f |%n",
              load[i],
              offered,
              (long) r[i][0],
              r[i][1],
              r[i][2],
              r[i][3],
              r[i][4]));
    }
    if (Boolean.getBoolean("twinstream.bench.halfSustainable")) {
      halfSustainable(bootstrap, texts, maxRate, load, r, guarantee, isolation, seconds, md);
    }
    LatencyChart.streamLatency(
        String.format(
            Locale.ROOT,
            "Stream embedder latency, parallelism 1, %s (100%% = %.0f sentences/s)",
            guarantee.name().toLowerCase(Locale.ROOT).replace('_', '-'),
            maxRate),
        load,
        r,
        Path.of("bench-results", "stream-latency-curve.png"));
  }

  /**
   * The curve's highest point that kept up (at least 98% of what was offered came out, visible p99
   * within a second) is the maximum sustainable paced rate; one more point runs at half of it. The
   * backlog rate is not sustainable under paced arrivals on shared cores: small batches cost more
   * per sentence and the producer and consumer of this harness share the machine.
   */
  private static void halfSustainable(
      String bootstrap,
      List<String> texts,
      double maxRate,
      double[] load,
      double[][] r,
      Guarantee guarantee,
      String isolation,
      int seconds,
      StringBuilder md)
      throws Exception {
    double sustainable = 0;
    for (int i = 0; i < load.length; i++) {
      double offered = maxRate * load[i] / 100;
      boolean keptUp = r[i][0] >= 0.98 * offered * seconds && r[i][4] <= 1_000;
      if (keptUp && offered > sustainable) {
        sustainable = offered;
      }
    }
    if (sustainable == 0) {
      md.append(String.format(Locale.ROOT, "%nNo point of the curve kept up.%n"));
      return;
    }
    double half = sustainable / 2;
    double[] h = latency(bootstrap, "half-sustainable", guarantee, isolation, texts, half, seconds);
    log(
        "50%% of the sustainable %.0f/s (%.0f/s): emit p50 %.0f p99 %.0f ms, visible p50 %.0f p99"
            + " %.0f ms",
        sustainable, half, h[1], h[2], h[3], h[4]);
    md.append(
        String.format(
            Locale.ROOT,
            "%nMaximum sustainable paced rate (the highest point above that kept up: >= 98%% of the"
                + " offered records out, visible p99 <= 1 s): %.0f sentences/s = %.0f%% of the"
                + " backlog rate. At half of it:%n%n"
                + "| load | offered/s | records | emit p50 ms | emit p99 ms | visible p50 ms |"
                + " visible p99 ms |%n|---|---:|---:|---:|---:|---:|---:|%n"
                + "| 50%% of sustainable | %.0f | %,d | %.0f | %.0f | %.0f | %.0f |%n",
            sustainable,
            100 * sustainable / maxRate,
            half,
            (long) h[0],
            h[1],
            h[2],
            h[3],
            h[4]));
  }

  /** Sentences/s of the bare encoder called on consecutive slices of {@code callSize} sentences. */
  private static double bareEncoder(String model, List<String> texts, int callSize)
      throws Exception {
    try (SentenceEncoder encoder =
        SentenceEncoder.open(
            ModelBundle.resolve(model), EncoderOptions.defaults().withBatchSize(32))) {
      encoder.embed(texts.subList(0, Math.min(2000, texts.size())));
      List<Double> rates = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        long t0 = System.nanoTime();
        for (int from = 0; from < texts.size(); from += callSize) {
          encoder.embed(texts.subList(from, Math.min(texts.size(), from + callSize)));
        }
        rates.add(texts.size() / ((System.nanoTime() - t0) / 1e9));
      }
      return Collections.max(rates);
    }
  }

  private static Configuration conf(
      String bootstrap, String run, Guarantee guarantee, int parallelism, boolean bounded) {
    Configuration conf = new Configuration();
    conf.set(JobOptions.BOOTSTRAP_SERVERS, bootstrap);
    conf.set(EmbedderOptions.SENTENCES_TOPIC, "sentences-" + run);
    conf.set(EmbedderOptions.EMBEDDINGS_TOPIC, "embeddings-" + run);
    conf.set(JobOptions.DEAD_LETTERS_TOPIC, "dead-letters-" + run);
    conf.set(JobOptions.GROUP_ID, "bench-" + run);
    conf.set(JobOptions.TRANSACTIONAL_ID_PREFIX, "bench-" + run);
    conf.set(JobOptions.START_POSITION, JobOptions.StartPosition.EARLIEST);
    conf.set(JobOptions.BOUNDED, bounded);
    conf.set(JobOptions.DELIVERY_GUARANTEE, guarantee);
    conf.set(JobOptions.PARALLELISM, parallelism);
    conf.set(JobOptions.RESTART_ATTEMPTS, 0);
    conf.set(
        JobOptions.CHECKPOINT_DIR,
        Path.of("bench-results", "stream", "checkpoints-" + run).toAbsolutePath().toString());
    String bufferTimeout = System.getProperty("twinstream.bench.bufferTimeoutMs");
    if (bufferTimeout != null) { // for A/B runs of the job's buffer.timeout
      conf.set(JobOptions.BUFFER_TIMEOUT, Duration.ofMillis(Long.parseLong(bufferTimeout)));
    }
    // Any job option for A/B runs: -Dtwinstream.bench.set=batch.max-wait=5ms,encoder.threads=1
    String overrides = System.getProperty("twinstream.bench.set", "");
    for (String pair : overrides.split(",")) {
      if (!pair.isBlank()) {
        int eq = pair.indexOf('=');
        conf.setString(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
      }
    }
    return conf;
  }

  private static void createTopics(String bootstrap, String run) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      Topics.create(
          admin,
          Map.of("sentences-" + run, 2, "embeddings-" + run, 2, "dead-letters-" + run, 1),
          Map.of(),
          Duration.ofSeconds(60));
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(
        Map.of("bootstrap.servers", bootstrap, "acks", "all", "linger.ms", "0"),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  private static void produceAll(String bootstrap, String topic, List<String> texts)
      throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
      List<Future<RecordMetadata>> sends = new ArrayList<>();
      for (int i = 0; i < texts.size(); i++) {
        sends.add(producer.send(record(topic, "s-" + i, texts.get(i))));
      }
      for (Future<RecordMetadata> f : sends) {
        f.get();
      }
    }
  }

  private static ProducerRecord<byte[], byte[]> record(String topic, String id, String text) {
    Sentence s = Sentence.newBuilder().setId(id).setText(text).setEventTime(Instant.now()).build();
    return new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), SENTENCES.encode(s));
  }

  private static void runBounded(Configuration conf) throws Exception {
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(
            conf.get(JobOptions.PARALLELISM), new Configuration());
    JobEnvironment.configure(env, conf);
    EmbedderJob.build(env, conf);
    env.execute("bench");
  }

  private static List<Embedding> readAll(String bootstrap, String topic, String isolation)
      throws Exception {
    List<Embedding> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, isolation)) {
      List<TopicPartition> parts =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(EMBEDDINGS.decode(r.value()));
        }
      }
    }
    return out;
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String isolation) {
    return new KafkaConsumer<>(
        Map.of(
            "bootstrap.servers",
            bootstrap,
            "isolation.level",
            isolation,
            "enable.auto.commit",
            "false",
            "fetch.max.wait.ms",
            "10"),
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }

  /** Returns {records, emit p50, emit p99, visible p50, visible p99}. */
  private static double[] latency(
      String bootstrap,
      String run,
      Guarantee guarantee,
      String isolation,
      List<String> texts,
      double rate,
      int seconds)
      throws Exception {
    createTopics(bootstrap, run);
    Configuration conf = conf(bootstrap, run, guarantee, 1, false);
    conf.set(JobOptions.MODEL, System.getProperty("twinstream.bench.model", ModelBundle.DEFAULT));
    conf.set(JobOptions.START_POSITION, JobOptions.StartPosition.LATEST);
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(1, new Configuration());
    JobEnvironment.configure(env, conf);
    EmbedderJob.build(env, conf);
    JobClient job = env.executeAsync("bench-latency");
    List<Double> emit = Collections.synchronizedList(new ArrayList<>());
    List<Double> visible = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean consuming = new AtomicBoolean(true);
    // Sentences sent in the first seconds of the run warm up the path (JIT, a backlog built while
    // cold) and are not counted.
    long warmupMillis = Long.getLong("twinstream.bench.warmupSeconds", 10) * 1000;
    AtomicLong measureFrom = new AtomicLong(Long.MAX_VALUE);
    Thread consumerThread =
        new Thread(
            () -> {
              try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, isolation)) {
                List<TopicPartition> parts =
                    consumer.partitionsFor("embeddings-" + run).stream()
                        .map(p -> new TopicPartition("embeddings-" + run, p.partition()))
                        .toList();
                consumer.assign(parts);
                consumer.seekToEnd(parts);
                parts.forEach(consumer::position);
                while (consuming.get()) {
                  for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.currentTimeMillis();
                    Embedding e = EMBEDDINGS.decode(r.value());
                    if (e.getEventTime().toEpochMilli() < measureFrom.get()) {
                      continue;
                    }
                    emit.add(
                        (double)
                            (e.getEmbeddedAt().toEpochMilli() - e.getEventTime().toEpochMilli()));
                    visible.add((double) (now - e.getEventTime().toEpochMilli()));
                  }
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            "latency-consumer");
    consumerThread.start();
    // Wait until the job has loaded its model and reads: its first sentences are warm-up.
    Thread.sleep(8_000);
    try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
      long intervalNanos = (long) (1e9 / rate);
      long start = System.nanoTime();
      long warmup = start + warmupMillis * 1_000_000L;
      long end = warmup + seconds * 1_000_000_000L;
      measureFrom.set(System.currentTimeMillis() + warmupMillis);
      int i = 0;
      for (long next = start; next < end; next += intervalNanos, i++) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        producer.send(record("sentences-" + run, "l-" + i, texts.get(i % texts.size())));
      }
      producer.flush();
    }
    Thread.sleep(conf.get(JobOptions.CHECKPOINT_INTERVAL).toMillis() * 2 + 1_000);
    consuming.set(false);
    consumerThread.join();
    job.cancel().get();
    return new double[] {
      emit.size(),
      Stats.percentile(emit, 50),
      Stats.percentile(emit, 99),
      Stats.percentile(visible, 50),
      Stats.percentile(visible, 99)
    };
  }

  private static void log(String format, Object... args) {
    System.err.printf(Locale.ROOT, format + "%n", args);
  }
}
