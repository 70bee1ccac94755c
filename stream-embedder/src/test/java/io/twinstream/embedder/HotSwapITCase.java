package io.twinstream.embedder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.TestBundles;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.records.Embedding;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.TrustedRecords;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.KafkaRecords;
import io.twinstream.testkit.TopicTail;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot swap while 20,000 sentences stream through the job: two promotions (the task fails while the
 * first one loads), one corrupt bundle, and a restart from a checkpoint. Every sentence is embedded
 * exactly once, each vector is the one its claimed version computes, no batch mixes versions, the
 * corrupt bundle never serves, and the restarted job serves the last promoted version.
 */
class HotSwapITCase {

  private static final InMemoryReporter METRICS = InMemoryReporter.create();

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .setConfiguration(METRICS.addToConfiguration(new Configuration()))
              .build());

  private static final AvroCodec<Embedding> EMBEDDINGS = AvroCodec.of(Embedding.class);
  private static final Duration WAIT = Duration.ofSeconds(180);

  @TempDir Path tmp;

  /**
   * Fails the task once on the sentence with id {@value #TRIGGER}, and once on {@value
   * #DURING_SWAP}.
   */
  static final class FailOnce implements SentenceStreamHook {
    private static final long serialVersionUID = 1L;
    static final String TRIGGER = "restart-now";
    static final String DURING_SWAP = "restart-while-loading";
    static final Set<String> FAILED = ConcurrentHashMap.newKeySet();
    static volatile CountDownLatch failed = new CountDownLatch(1);

    @Override
    public DataStream<Sentence> apply(DataStream<Sentence> stream) {
      return stream
          .map(
              s -> {
                if ((s.getId().equals(TRIGGER) || s.getId().equals(DURING_SWAP))
                    && FAILED.add(s.getId())) {
                  if (s.getId().equals(TRIGGER)) {
                    failed.countDown();
                  }
                  throw new IllegalStateException(
                      "injected failure to restart from the last checkpoint");
                }
                return s;
              },
              new AvroTypeInfo<>(Sentence.class))
          .name("fail-once");
    }
  }

  @Test
  void twoPromotionsACorruptBundleAndARestartLoseNothingAndMixNothing() throws Exception {
    TrustedRecords.install();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopics(Map.of("sentences", 2, "embeddings", 2, "dead-letters", 1), Map.of());
      ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
      ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT_INT8);
      registry.publish(base.withVersion("v1", null));
      registry.publish(TestBundles.perturbed(base, "v2", 1.5f));
      registry.publish(TestBundles.perturbed(base, "v3", 0.7f));
      registry.publish(TestBundles.perturbed(base, "bad", 2.0f));
      KafkaModelUpdates updates =
          new KafkaModelUpdates(
                  registry, "default", Map.of("bootstrap.servers", bootstrap), "model-updates")
              .ensureTopic();
      registry.setCurrent("v1");

      Configuration conf = new Configuration();
      conf.set(JobOptions.BOOTSTRAP_SERVERS, bootstrap);
      conf.set(JobOptions.MODEL, "registry");
      conf.set(JobOptions.MODEL_REGISTRY, registry.root().toString());
      conf.set(JobOptions.START_POSITION, JobOptions.StartPosition.EARLIEST);
      conf.set(JobOptions.PARALLELISM, 2);
      conf.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
      conf.set(JobOptions.CHECKPOINT_DIR, tmp.resolve("checkpoints").toString());
      conf.set(JobOptions.RESTART_ATTEMPTS, 3);
      conf.set(JobOptions.RESTART_DELAY, Duration.ofMillis(200));
      FailOnce.FAILED.clear();
      FailOnce.failed = new CountDownLatch(1);
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
      JobEnvironment.configure(env, conf);
      EmbedderJob.build(env, conf, new FailOnce());
      JobClient job = env.executeAsync("hot-swap-it");
      try (TopicTail embeddings = new TopicTail(bootstrap, "embeddings")) {
        Outputs outputs = new Outputs(embeddings);
        Map<String, String> texts = new LinkedHashMap<>();
        List<String> pool = stsSentences();
        Set<String> afterRestart = new HashSet<>();

        produce(bootstrap, texts, pool, 0, 5_000);
        outputs.await(5_000, e -> true);

        updates.promote("v2", "test: first promotion");
        // the task fails while v2 loads: the restarted job must still end up serving v2
        texts.put(FailOnce.DURING_SWAP, "This sentence fails the task while a model loads.");
        KafkaRecords.produceSentences(
            bootstrap, "sentences", Map.of(FailOnce.DURING_SWAP, texts.get(FailOnce.DURING_SWAP)));
        produce(bootstrap, texts, pool, 5_000, 10_000);
        outputs.await(10_001, e -> e.getModelVersion().equals("v2"));

        // A bundle damaged after publishing, announced as promoted: it must be refused.
        String badSha = registry.manifestSha256("bad");
        Files.write(Path.of(registry.root()).resolve("bad/tokenizer.json"), "{}".getBytes());
        updates.send(
            ModelUpdate.newBuilder()
                .setVersion("bad")
                .setParentVersion("v1")
                .setUri(registry.uri("bad").toString())
                .setSha256(badSha)
                .setStatus(ModelStatus.PROMOTED)
                .setMetrics(Map.of())
                .setCreatedAt(Instant.now())
                .setReason("test: corrupt bundle")
                .build());
        produce(bootstrap, texts, pool, 10_000, 15_000);
        outputs.await(15_001, e -> true);

        updates.promote("v3", "test: second promotion");
        produce(bootstrap, texts, pool, 15_000, 17_500);
        // v3 must be visible (committed by a checkpoint taken after the swap) before the restart.
        outputs.await(17_501, e -> e.getModelVersion().equals("v3"));
        // The serving version as Prometheus keeps it: per subtask, a 0/1 gauge per version it
        // served, labelled
        // with the version, 1 for exactly one of them; the refused bundle never had one.
        Map<String, Map<String, Integer>> gauges = servingGauges(job);
        assertEquals(2, gauges.size(), "both subtasks: " + gauges);
        for (Map<String, Integer> subtask : gauges.values()) {
          assertTrue(Set.of("v1", "v2", "v3").containsAll(subtask.keySet()), subtask.toString());
          assertEquals(
              1, subtask.values().stream().filter(v -> v == 1).count(), subtask.toString());
          assertEquals(0, subtask.get("v1"), "v1 served first, and no more: " + subtask);
        }
        assertTrue(
            gauges.values().stream().anyMatch(g -> g.getOrDefault("v3", 0) == 1),
            gauges.toString());

        texts.put(
            FailOnce.TRIGGER, "This sentence makes the job restart from its last checkpoint.");
        KafkaRecords.produceSentences(
            bootstrap, "sentences", Map.of(FailOnce.TRIGGER, texts.get(FailOnce.TRIGGER)));
        Map<String, String> last = new LinkedHashMap<>();
        for (int i = 17_500; i < 19_999; i++) {
          String id = String.format("h-%05d", i);
          last.put(id, pool.get(i % pool.size()));
          afterRestart.add(id);
        }
        texts.putAll(last);
        // Produced only once the failure has happened, so that the restarted job embeds them.
        assertTrue(
            FailOnce.failed.await(WAIT.toSeconds(), TimeUnit.SECONDS), "the injected failure");
        KafkaRecords.produceSentences(bootstrap, "sentences", last);
        Map<String, Embedding> out = outputs.await(20_001, e -> true);

        assertEquals(20_001, texts.size());
        assertEquals(Set.of(FailOnce.TRIGGER, FailOnce.DURING_SWAP), FailOnce.FAILED);
        assertEquals(texts.keySet(), out.keySet());
        assertFalse(
            out.values().stream().anyMatch(e -> e.getModelVersion().equals("bad")),
            "the corrupt bundle never served");
        for (String id : afterRestart) {
          assertEquals("v3", out.get(id).getModelVersion(), id + " after the restart");
        }
        assertNoBatchMixesVersions(out.values());
        assertVectorsMatchTheirVersions(registry, texts, out);
        Set<String> served = new HashSet<>();
        out.values().forEach(e -> served.add(e.getModelVersion()));
        assertEquals(Set.of("v1", "v2", "v3"), served);

      } finally {
        job.cancel().get();
      }
    }
  }

  private static List<String> stsSentences() throws Exception {
    Path data =
        Path.of(System.getProperty("twinstream.dataDir", "../data"))
            .resolve("stsb-ccbysa/train.tsv");
    List<String> lines = Files.readAllLines(data);
    List<String> out = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] cols = line.split("\t", -1);
      out.add(cols[5]);
      out.add(cols[6]);
    }
    return out;
  }

  private static void produce(
      String bootstrap, Map<String, String> texts, List<String> pool, int from, int to)
      throws Exception {
    Map<String, String> chunk = new LinkedHashMap<>();
    for (int i = from; i < to; i++) {
      chunk.put(String.format("h-%05d", i), pool.get(i % pool.size()));
    }
    texts.putAll(chunk);
    KafkaRecords.produceSentences(bootstrap, "sentences", chunk);
  }

  /**
   * The committed embeddings by id, read as they arrive; a second embedding of an id fails the
   * test.
   */
  private static final class Outputs {
    private final TopicTail tail;
    private final Map<String, Embedding> byId = new HashMap<>();
    private int indexed;
    private boolean matched;

    Outputs(TopicTail tail) {
      this.tail = tail;
    }

    /**
     * Waits until at least {@code count} ids have an embedding and one embedding matches {@code
     * seen}.
     */
    Map<String, Embedding> await(int count, Predicate<Embedding> seen) throws Exception {
      matched = false;
      tail.await(
          Embedding.class,
          WAIT,
          all -> {
            for (Embedding e : all.subList(indexed, all.size())) {
              Embedding previous = byId.put(e.getId(), e);
              assertTrue(previous == null, "duplicate embedding for " + e.getId());
            }
            indexed = all.size();
            for (Embedding e : all) {
              if (!matched && seen.test(e)) {
                matched = true;
              }
            }
            return byId.size() >= count && matched;
          });
      return byId;
    }
  }

  /**
   * {@code modelServing} by subtask and {@code model_version} label ({@code
   * ….embed.SUBTASK.model_version.V.…}).
   */
  private static Map<String, Map<String, Integer>> servingGauges(JobClient job) {
    Map<String, Map<String, Integer>> out = new HashMap<>();
    Pattern id = Pattern.compile("\\.embed\\.(\\d+)\\.model_version\\.([^.]+)\\.modelServing$");
    for (Map.Entry<String, Metric> m :
        METRICS.findMetrics(job.getJobID(), "modelServing").entrySet()) {
      Matcher matcher = id.matcher(m.getKey());
      assertTrue(matcher.find(), m.getKey());
      out.computeIfAbsent(matcher.group(1), k -> new HashMap<>())
          .put(matcher.group(2), (Integer) ((Gauge<?>) m.getValue()).getValue());
    }
    return out;
  }

  /** Every batch stamps one embeddedAt on all its records; one batch, one version. */
  private static void assertNoBatchMixesVersions(Collection<Embedding> all) {
    Map<Instant, Set<String>> versionsByBatch = new HashMap<>();
    for (Embedding e : all) {
      versionsByBatch
          .computeIfAbsent(e.getEmbeddedAt(), k -> new HashSet<>())
          .add(e.getModelVersion());
    }
    for (Map.Entry<Instant, Set<String>> batch : versionsByBatch.entrySet()) {
      assertEquals(
          1, batch.getValue().size(), "batch at " + batch.getKey() + " mixes " + batch.getValue());
    }
    assertTrue(versionsByBatch.size() > 3, "many batches");
  }

  private static void assertVectorsMatchTheirVersions(
      ModelRegistry registry, Map<String, String> texts, Map<String, Embedding> out)
      throws Exception {
    Map<String, List<String>> idsByVersion = new HashMap<>();
    out.values()
        .forEach(
            e ->
                idsByVersion
                    .computeIfAbsent(e.getModelVersion(), k -> new ArrayList<>())
                    .add(e.getId()));
    for (Map.Entry<String, List<String>> v : idsByVersion.entrySet()) {
      try (SentenceEncoder encoder =
          SentenceEncoder.open(
              registry.load(v.getKey()), EncoderOptions.defaults().withBatchSize(32))) {
        List<String> ids = v.getValue();
        List<SentenceEmbedding> expected = encoder.encode(ids.stream().map(texts::get).toList());
        for (int i = 0; i < ids.size(); i++) {
          List<Float> actual = out.get(ids.get(i)).getVector();
          float[] want = expected.get(i).vector();
          for (int d = 0; d < want.length; d++) {
            float diff = Math.abs(want[d] - actual.get(d));
            assertTrue(diff <= 1e-5f, ids.get(i) + " (" + v.getKey() + ") differs by " + diff);
          }
        }
      }
    }
  }
}
