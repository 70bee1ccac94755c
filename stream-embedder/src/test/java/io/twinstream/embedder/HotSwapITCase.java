package io.twinstream.embedder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.embedder.kafka.EmbeddedKafka;
import io.twinstream.embedder.model.ModelUpdates;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.ModelRegistry;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.records.Embedding;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot swap while 20,000 sentences stream through the job: two promotions, one corrupt bundle, and a restart
 * from a checkpoint. Every sentence is embedded exactly once, each vector is the one its claimed version
 * computes, no batch mixes versions, the corrupt bundle never serves, and the restarted job serves the last
 * promoted version.
 */
class HotSwapITCase {

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
          .build());

  private static final AvroCodec<Embedding> EMBEDDINGS = AvroCodec.of(Embedding.class);
  private static final Duration WAIT = Duration.ofSeconds(180);

  @TempDir
  Path tmp;

  /** Fails the task once, on the sentence with id {@value #TRIGGER}. */
  static final class FailOnce implements SentenceStreamHook {
    private static final long serialVersionUID = 1L;
    static final String TRIGGER = "restart-now";
    static final AtomicBoolean FAILED = new AtomicBoolean();

    @Override
    public DataStream<Sentence> apply(DataStream<Sentence> stream) {
      return stream.map(s -> {
        if (s.getId().equals(TRIGGER) && FAILED.compareAndSet(false, true)) {
          throw new IllegalStateException("injected failure to restart from the last checkpoint");
        }
        return s;
      }, new AvroTypeInfo<>(Sentence.class)).name("fail-once");
    }
  }

  @Test
  void twoPromotionsACorruptBundleAndARestartLoseNothingAndMixNothing() throws Exception {
    io.twinstream.schemas.TrustedRecords.install();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopics(Map.of("sentences", 2, "embeddings", 2, "dead-letters", 1), Map.of());
      ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
      ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT_INT8);
      registry.publish(base.withVersion("v1", null));
      registry.publish(TestBundles.perturbed(base, "v2", 1.5f));
      registry.publish(TestBundles.perturbed(base, "v3", 0.7f));
      registry.publish(TestBundles.perturbed(base, "bad", 2.0f));
      ModelUpdates updates = new ModelUpdates(registry, "default", Map.of("bootstrap.servers", bootstrap),
          "model-updates");
      updates.ensureTopic();
      registry.setCurrent("v1");

      Configuration conf = new Configuration();
      conf.set(EmbedderOptions.BOOTSTRAP_SERVERS, bootstrap);
      conf.set(EmbedderOptions.MODEL, "registry");
      conf.set(EmbedderOptions.MODEL_REGISTRY, registry.root().toString());
      conf.set(EmbedderOptions.START_POSITION, EmbedderOptions.StartPosition.EARLIEST);
      conf.set(EmbedderOptions.PARALLELISM, 2);
      conf.set(EmbedderOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
      conf.set(EmbedderOptions.RESTART_ATTEMPTS, 3);
      conf.set(EmbedderOptions.RESTART_DELAY, Duration.ofMillis(200));
      FailOnce.FAILED.set(false);
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
      EmbedderJob.configureEnvironment(env, conf);
      EmbedderJob.build(env, conf, new FailOnce());
      JobClient job = env.executeAsync("hot-swap-it");
      try {
        Map<String, String> texts = new LinkedHashMap<>();
        List<String> pool = stsSentences();
        Set<String> afterRestart = new HashSet<>();

        produce(bootstrap, texts, pool, 0, 5_000);
        awaitEmbeddings(bootstrap, 5_000, e -> true);

        updates.promote("v2", "test: first promotion");
        produce(bootstrap, texts, pool, 5_000, 10_000);
        awaitEmbeddings(bootstrap, 10_000, e -> true);

        // A bundle damaged after publishing, announced as promoted: it must be refused.
        String badSha = registry.manifestSha256("bad");
        Files.write(Path.of(registry.root()).resolve("bad/tokenizer.json"), "{}".getBytes());
        updates.send(ModelUpdate.newBuilder().setVersion("bad").setParentVersion("v1")
            .setUri(registry.uri("bad").toString()).setSha256(badSha).setStatus(ModelStatus.PROMOTED)
            .setMetrics(Map.of()).setCreatedAt(Instant.now()).setReason("test: corrupt bundle").build());
        produce(bootstrap, texts, pool, 10_000, 15_000);
        awaitEmbeddings(bootstrap, 15_000, e -> true);

        updates.promote("v3", "test: second promotion");
        produce(bootstrap, texts, pool, 15_000, 17_500);
        // v3 must be visible (committed by a checkpoint taken after the swap) before the restart.
        awaitEmbeddings(bootstrap, 17_500, e -> e.getModelVersion().equals("v3"));

        texts.put(FailOnce.TRIGGER, "This sentence makes the job restart from its last checkpoint.");
        KafkaRecords.produceSentences(bootstrap, "sentences", Map.of(FailOnce.TRIGGER, texts.get(FailOnce.TRIGGER)));
        Map<String, String> last = new LinkedHashMap<>();
        for (int i = 17_500; i < 19_999; i++) {
          String id = String.format("h-%05d", i);
          last.put(id, pool.get(i % pool.size()));
          afterRestart.add(id);
        }
        texts.putAll(last);
        // Produced only once the failure has happened, so that the restarted job embeds them.
        awaitTrue(FailOnce.FAILED::get, "the injected failure");
        KafkaRecords.produceSentences(bootstrap, "sentences", last);
        Map<String, Embedding> out = awaitEmbeddings(bootstrap, 20_000, e -> true);

        assertEquals(20_000, texts.size());
        assertEquals(texts.keySet(), out.keySet());
        assertFalse(out.values().stream().anyMatch(e -> e.getModelVersion().equals("bad")),
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
    Path data = Path.of(System.getProperty("twinstream.dataDir", "../data")).resolve("stsb-ccbysa/train.tsv");
    List<String> lines = Files.readAllLines(data);
    List<String> out = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] cols = line.split("\t", -1);
      out.add(cols[5]);
      out.add(cols[6]);
    }
    return out;
  }

  private static void produce(String bootstrap, Map<String, String> texts, List<String> pool, int from, int to)
      throws Exception {
    Map<String, String> chunk = new LinkedHashMap<>();
    for (int i = from; i < to; i++) {
      chunk.put(String.format("h-%05d", i), pool.get(i % pool.size()));
    }
    texts.putAll(chunk);
    KafkaRecords.produceSentences(bootstrap, "sentences", chunk);
  }

  /** Reads committed embeddings until at least {@code count} ids are there and one matches {@code seen}. */
  private static Map<String, Embedding> awaitEmbeddings(String bootstrap, int count, Predicate<Embedding> seen)
      throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      Map<String, Embedding> byId = new HashMap<>();
      boolean matched = false;
      for (ConsumerRecord<byte[], byte[]> r : KafkaRecords.readCommitted(bootstrap, "embeddings")) {
        Embedding e = EMBEDDINGS.decode(r.value());
        Embedding previous = byId.put(e.getId(), e);
        assertTrue(previous == null, "duplicate embedding for " + e.getId());
        matched |= seen.test(e);
      }
      if (byId.size() >= count && matched) {
        return byId;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + byId.size() + " of " + count + " embeddings after " + WAIT);
      }
      Thread.sleep(250);
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no " + what + " within " + WAIT);
      }
      Thread.sleep(50);
    }
  }

  /** Every batch stamps one embeddedAt on all its records; one batch, one version. */
  private static void assertNoBatchMixesVersions(java.util.Collection<Embedding> all) {
    Map<Instant, Set<String>> versionsByBatch = new HashMap<>();
    for (Embedding e : all) {
      versionsByBatch.computeIfAbsent(e.getEmbeddedAt(), k -> new HashSet<>()).add(e.getModelVersion());
    }
    for (Map.Entry<Instant, Set<String>> batch : versionsByBatch.entrySet()) {
      assertEquals(1, batch.getValue().size(), "batch at " + batch.getKey() + " mixes " + batch.getValue());
    }
    assertTrue(versionsByBatch.size() > 3, "many batches");
  }

  private static void assertVectorsMatchTheirVersions(ModelRegistry registry, Map<String, String> texts,
      Map<String, Embedding> out) throws Exception {
    Map<String, List<String>> idsByVersion = new HashMap<>();
    out.values().forEach(e -> idsByVersion.computeIfAbsent(e.getModelVersion(), k -> new ArrayList<>()).add(e.getId()));
    for (Map.Entry<String, List<String>> v : idsByVersion.entrySet()) {
      try (SentenceEncoder encoder = SentenceEncoder.open(registry.load(v.getKey()),
          EncoderOptions.defaults().withBatchSize(32))) {
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
