package io.twinstream.embedder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.TextTokenizer;
import io.twinstream.records.DeadLetter;
import io.twinstream.records.Embedding;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.KafkaRecords;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job end to end on a real Kafka broker (in this JVM), a Flink mini-cluster and the real model:
 * every sentence embedded exactly once (read_committed), also across injected failures, and bad
 * input dead-lettered with its reason.
 */
class EmbedderJobITCase {

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  private static EmbeddedKafka kafka;

  @TempDir static Path CHECKPOINTS;
  private static final AvroCodec<Embedding> EMBEDDINGS = AvroCodec.of(Embedding.class);
  private static final AvroCodec<DeadLetter> DEAD = AvroCodec.of(DeadLetter.class);
  private static final AtomicInteger TOPIC_IDS = new AtomicInteger();

  @BeforeAll
  static void startKafka() throws IOException {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopKafka() {
    kafka.close();
  }

  /** Fresh topics for one test; returns the configuration naming them. */
  private static Configuration topics(int partitions) {
    int n = TOPIC_IDS.incrementAndGet();
    Configuration conf = new Configuration();
    conf.set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    conf.set(EmbedderOptions.SENTENCES_TOPIC, "sentences-" + n);
    conf.set(EmbedderOptions.EMBEDDINGS_TOPIC, "embeddings-" + n);
    conf.set(JobOptions.DEAD_LETTERS_TOPIC, "dead-letters-" + n);
    conf.set(JobOptions.GROUP_ID, "it-" + n);
    conf.set(JobOptions.TRANSACTIONAL_ID_PREFIX, "it-" + n);
    conf.set(JobOptions.START_POSITION, JobOptions.StartPosition.EARLIEST);
    conf.set(JobOptions.BOUNDED, true);
    conf.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
    conf.set(JobOptions.CHECKPOINT_DIR, CHECKPOINTS.resolve("job-" + n).toString());
    conf.set(JobOptions.RESTART_ATTEMPTS, 0);
    kafka.createTopics(
        Map.of("sentences-" + n, partitions, "embeddings-" + n, partitions, "dead-letters-" + n, 1),
        Map.of());
    return conf;
  }

  /** 10,000 sentences with unique ids, texts from the STS benchmark (repeated). */
  private static Map<String, String> tenThousandSentences() throws IOException {
    Path data =
        Path.of(System.getProperty("twinstream.dataDir", "../data"))
            .resolve("stsb-ccbysa/train.tsv");
    List<String> lines = Files.readAllLines(data, StandardCharsets.UTF_8);
    Set<String> texts = new LinkedHashSet<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] cols = line.split("\t", -1);
      texts.add(cols[5]);
      texts.add(cols[6]);
    }
    List<String> pool = new ArrayList<>(texts);
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < 10_000; i++) {
      out.put(String.format("s-%05d", i), pool.get(i % pool.size()));
    }
    return out;
  }

  private static void runToCompletion(Configuration conf, SentenceStreamHook hook)
      throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    JobEnvironment.configure(env, conf);
    EmbedderJob.build(env, conf, hook);
    env.execute("it");
  }

  private static Map<String, Embedding> readEmbeddings(Configuration conf) throws Exception {
    Map<String, Embedding> byId = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r :
        KafkaRecords.readCommitted(
            kafka.bootstrapServers(), conf.get(EmbedderOptions.EMBEDDINGS_TOPIC))) {
      Embedding e = EMBEDDINGS.decode(r.value());
      assertEquals(
          e.getId(), new String(r.key(), StandardCharsets.UTF_8), "record key is the sentence id");
      Embedding previous = byId.put(e.getId(), e);
      assertTrue(previous == null, "duplicate embedding for " + e.getId());
    }
    return byId;
  }

  private static List<DeadLetter> deadLetters(Configuration conf) throws Exception {
    List<DeadLetter> dead = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r :
        KafkaRecords.readCommitted(
            kafka.bootstrapServers(), conf.get(JobOptions.DEAD_LETTERS_TOPIC))) {
      dead.add(DEAD.decode(r.value()));
    }
    return dead;
  }

  private static void assertEveryVectorIsTheEncoders(
      Map<String, String> input, Map<String, Embedding> out) throws Exception {
    Map<String, float[]> expected = new HashMap<>();
    List<String> unique = new ArrayList<>(new LinkedHashSet<>(input.values()));
    try (SentenceEncoder encoder = SentenceEncoder.open(ModelBundle.builtin(ModelBundle.DEFAULT))) {
      List<SentenceEmbedding> vectors = encoder.encode(unique);
      for (int i = 0; i < unique.size(); i++) {
        expected.put(unique.get(i), vectors.get(i).vector());
      }
    }
    for (Map.Entry<String, String> e : input.entrySet()) {
      Embedding embedding = out.get(e.getKey());
      float[] want = expected.get(e.getValue());
      assertEquals("all-MiniLM-L6-v2", embedding.getModelVersion());
      assertEquals(want.length, embedding.getVector().size());
      for (int d = 0; d < want.length; d++) {
        float diff = Math.abs(want[d] - embedding.getVector().get(d));
        assertTrue(diff <= 1e-5f, e.getKey() + " differs by " + diff + " in component " + d);
      }
      assertEquals("test", embedding.getAttributes().get("source"), "attributes pass through");
    }
  }

  @Test
  void tenThousandSentencesGiveExactlyTenThousandEmbeddings() throws Exception {
    Configuration conf = topics(2);
    conf.set(JobOptions.PARALLELISM, 2);
    Map<String, String> input = tenThousandSentences();
    KafkaRecords.produceSentences(
        kafka.bootstrapServers(), conf.get(EmbedderOptions.SENTENCES_TOPIC), input);

    runToCompletion(conf, SentenceStreamHook.NONE);

    Map<String, Embedding> out = readEmbeddings(conf);
    assertEquals(input.keySet(), out.keySet());
    assertEveryVectorIsTheEncoders(input, out);
    assertEquals(
        0,
        KafkaRecords.readCommitted(
                kafka.bootstrapServers(), conf.get(JobOptions.DEAD_LETTERS_TOPIC))
            .size());
  }

  /**
   * Fails the task twice, once after 3,000 and once after 7,000 sentences have passed (over all
   * attempts).
   */
  static final class TwoFailures implements SentenceStreamHook {
    private static final long serialVersionUID = 1L;
    static final AtomicLong SEEN = new AtomicLong();
    static final AtomicInteger FAILURES = new AtomicInteger();

    @Override
    public DataStream<Sentence> apply(DataStream<Sentence> stream) {
      return stream
          .map(
              s -> {
                long seen = SEEN.incrementAndGet();
                if ((seen == 3_000 || seen == 7_000) && FAILURES.get() < 2) {
                  FAILURES.incrementAndGet();
                  throw new IllegalStateException("injected failure after " + seen + " sentences");
                }
                return s;
              },
              new AvroTypeInfo<>(Sentence.class))
          .name("inject-failures");
    }
  }

  @Test
  void twoInjectedFailuresStillGiveExactlyTenThousandEmbeddings() throws Exception {
    Configuration conf = topics(2);
    conf.set(JobOptions.PARALLELISM, 2);
    conf.set(JobOptions.RESTART_ATTEMPTS, 3);
    conf.set(JobOptions.RESTART_DELAY, Duration.ofMillis(200));
    Map<String, String> input = tenThousandSentences();
    KafkaRecords.produceSentences(
        kafka.bootstrapServers(), conf.get(EmbedderOptions.SENTENCES_TOPIC), input);
    TwoFailures.SEEN.set(0);
    TwoFailures.FAILURES.set(0);

    runToCompletion(conf, new TwoFailures());

    assertEquals(2, TwoFailures.FAILURES.get(), "both failures happened");
    assertTrue(TwoFailures.SEEN.get() > 10_000, "sentences were replayed after the failures");
    Map<String, Embedding> out = readEmbeddings(conf);
    assertEquals(input.keySet(), out.keySet());
  }

  @Test
  void atLeastOnceDeliversEverySentenceWithoutTransactions() throws Exception {
    Configuration conf = topics(2);
    conf.set(JobOptions.DELIVERY_GUARANTEE, JobOptions.Guarantee.AT_LEAST_ONCE);
    Map<String, String> input = new LinkedHashMap<>();
    for (int i = 0; i < 500; i++) {
      input.put("alo-" + i, "At-least-once sentence number " + i + ".");
    }
    KafkaRecords.produceSentences(
        kafka.bootstrapServers(), conf.get(EmbedderOptions.SENTENCES_TOPIC), input);

    runToCompletion(conf, SentenceStreamHook.NONE);

    assertEquals(input.keySet(), readEmbeddings(conf).keySet());
  }

  @Test
  void malformedAndEmptyRecordsAreDeadLetteredAndAHugeTextIsTruncated() throws Exception {
    Configuration conf = topics(1);
    String topic = conf.get(EmbedderOptions.SENTENCES_TOPIC);
    String bootstrap = kafka.bootstrapServers();
    KafkaRecords.produceSentences(
        bootstrap, topic, Map.of("before", "A sentence before the bad ones."));
    byte[] garbage = "this is not avro".getBytes(StandardCharsets.UTF_8);
    KafkaRecords.produceRaw(bootstrap, topic, "bad-1".getBytes(StandardCharsets.UTF_8), garbage);
    KafkaRecords.produceSentences(bootstrap, topic, Map.of("empty", "   "));
    String huge =
        "stream ".repeat(142_000); // 994,000 bytes: 1 MB, just under Kafka's default record limit
    KafkaRecords.produceSentences(
        bootstrap, topic, Map.of("huge", huge, "after", "A sentence after them."));

    runToCompletion(conf, SentenceStreamHook.NONE);

    Map<String, Embedding> out = readEmbeddings(conf);
    assertEquals(Set.of("before", "huge", "after"), out.keySet());
    assertTrue(out.get("huge").getTruncated());
    // Only the first maxLength * CHARS_PER_TOKEN = 25,600 characters are tokenized: 3,657 whole
    // "stream " and one "s", each one token, plus [CLS] and [SEP].
    assertEquals(
        256 * TextTokenizer.CHARS_PER_TOKEN, "stream ".repeat(3_657).length() + 1, "the head");
    assertEquals(3_660, out.get("huge").getTokenCount());
    assertTrue(!out.get("before").getTruncated());

    List<DeadLetter> dead = deadLetters(conf);
    assertEquals(2, dead.size(), dead.toString());
    DeadLetter malformed =
        dead.stream().filter(d -> d.getError().contains("not an Avro")).findFirst().orElseThrow();
    assertEquals(topic, malformed.getTopic());
    assertEquals(1L, malformed.getOffset());
    assertEquals(ByteBuffer.wrap(garbage), malformed.getValue());
    assertEquals(ByteBuffer.wrap("bad-1".getBytes(StandardCharsets.UTF_8)), malformed.getKey());
    DeadLetter empty =
        dead.stream()
            .filter(d -> d.getError().contains("empty or whitespace-only"))
            .findFirst()
            .orElseThrow();
    assertTrue(empty.getError().contains("Sentence empty"), empty.getError());
    assertEquals(2L, empty.getOffset());
    assertEquals(
        new HashSet<>(List.of("decode")),
        new HashSet<>(dead.stream().map(DeadLetter::getStage).toList()));
  }

  @Test
  void aTombstoneOnSentencesBecomesATombstoneOfTheSameKeyAndTimeOnEmbeddings() throws Exception {
    Configuration conf = topics(1);
    String topic = conf.get(EmbedderOptions.SENTENCES_TOPIC);
    String bootstrap = kafka.bootstrapServers();
    KafkaRecords.produceSentences(
        bootstrap, topic, Map.of("kept", "A document that stays.", "gone", "A deleted one."));
    KafkaRecords.produceRaw(bootstrap, topic, "gone".getBytes(StandardCharsets.UTF_8), null);
    KafkaRecords.produceRaw(bootstrap, topic, null, null); // names no document

    runToCompletion(conf, SentenceStreamHook.NONE);

    ConsumerRecord<byte[], byte[]> deleted =
        KafkaRecords.readCommitted(bootstrap, topic).stream()
            .filter(r -> r.value() == null && r.key() != null)
            .findFirst()
            .orElseThrow();
    List<ConsumerRecord<byte[], byte[]>> out =
        KafkaRecords.readCommitted(bootstrap, conf.get(EmbedderOptions.EMBEDDINGS_TOPIC));
    List<ConsumerRecord<byte[], byte[]>> tombstones =
        out.stream().filter(r -> r.value() == null).toList();
    assertEquals(1, tombstones.size(), "one tombstone");
    assertEquals("gone", new String(tombstones.get(0).key(), StandardCharsets.UTF_8));
    assertEquals(deleted.timestamp(), tombstones.get(0).timestamp(), "when it was deleted");
    Set<String> embedded = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : out) {
      if (r.value() != null) {
        embedded.add(EMBEDDINGS.decode(r.value()).getId());
      }
    }
    assertEquals(Set.of("kept", "gone"), embedded, "the texts before the tombstone are embedded");
    List<DeadLetter> dead = deadLetters(conf);
    assertEquals(1, dead.size(), "the tombstone without a key: " + dead);
    assertEquals(3L, dead.get(0).getOffset());
  }
}
