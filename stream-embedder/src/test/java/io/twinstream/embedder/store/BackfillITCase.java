package io.twinstream.embedder.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobOptions;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.records.Embedding;
import io.twinstream.records.Sentence;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorRow;
import io.twinstream.store.VectorStore;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.KafkaRecords;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backfill on a real broker, a local Flink mini-cluster and the embedded store: every document
 * gets exactly one row of the version, holding the vector of its latest text; a backfill stopped
 * half-way and run again leaves no gap and no duplicate.
 */
class BackfillITCase {

  private static final int DOCUMENTS = 240;
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static EmbeddedKafka kafka;
  private static String version;

  @TempDir static Path tmp;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start();
    version = ModelBundle.builtin(ModelBundle.DEFAULT_INT8).version();
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  private static String text(int i, String edition) {
    StringBuilder b = new StringBuilder("Document " + i + " (" + edition + "):");
    for (int w = 0; w < 120; w++) {
      b.append(' ').append("word").append((i * 7 + w) % 97);
    }
    return b.toString();
  }

  /** A fresh compacted documents topic: every document, then a later text of every tenth. */
  private static Configuration documents() throws Exception {
    int n = RUNS.incrementAndGet();
    String topic = "documents-" + n;
    kafka.createTopics(
        Map.of(topic, 2, "dead-letters-" + n, 1),
        Map.of(topic, Map.of("cleanup.policy", "compact")));
    List<Sentence> sentences = new ArrayList<>();
    for (int i = 0; i < DOCUMENTS; i++) {
      sentences.add(sentence(i, "first", 1_000));
    }
    for (int i = 0; i < DOCUMENTS; i += 10) {
      sentences.add(sentence(i, "edited", 2_000));
    }
    KafkaRecords.produce(kafka.bootstrapServers(), topic, sentences, s -> s.getId().toString());
    Configuration conf = new Configuration();
    conf.set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    conf.set(EmbedderOptions.SENTENCES_TOPIC, topic);
    conf.set(JobOptions.DEAD_LETTERS_TOPIC, "dead-letters-" + n);
    conf.set(JobOptions.GROUP_ID, "backfill-it-" + n);
    conf.set(JobOptions.TRANSACTIONAL_ID_PREFIX, "backfill-it-" + n);
    conf.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
    conf.set(JobOptions.CHECKPOINT_DIR, tmp.resolve("checkpoints-" + n).toString());
    conf.set(JobOptions.RESTART_ATTEMPTS, 0);
    conf.set(JobOptions.PARALLELISM, 1);
    conf.set(EmbedderOptions.BATCH_SIZE, 8);
    conf.set(StoreOptions.BATCH_SIZE, 8);
    return conf;
  }

  private static Sentence sentence(int i, String edition, long eventTime) {
    return Sentence.newBuilder()
        .setId("doc-" + i)
        .setText(text(i, edition))
        .setEventTime(Instant.ofEpochMilli(eventTime))
        .setAttributes(Map.of("edition", edition))
        .build();
  }

  private static void assertOneRowPerDocumentOfItsLatestText(VectorStore store) {
    assertEquals(Map.of(version, (long) DOCUMENTS), store.versions());
    try (SentenceEncoder encoder =
        SentenceEncoder.open(
            ModelBundle.builtin(ModelBundle.DEFAULT_INT8), EncoderOptions.defaults())) {
      for (int i : new int[] {0, 10, 1, 239}) {
        VectorRow row = store.get("doc-" + i, version).orElseThrow();
        String edition = i % 10 == 0 ? "edited" : "first";
        assertEquals(edition, row.attributes().get("edition"), "doc-" + i);
        float[] expected = encoder.encode(text(i, edition)).vector();
        double dot = 0;
        for (int d = 0; d < expected.length; d++) {
          dot += expected[d] * row.vector()[d];
        }
        assertEquals(1.0, dot, 1e-4, "doc-" + i + " holds the vector of its latest text");
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void everyDocumentGetsOneRowOfTheVersionHoldingItsLatestText() throws Exception {
    Configuration conf = documents();
    StoreSpec spec = StoreSpec.lucene(tmp.resolve("store-" + RUNS.get()), 384);
    List<long[]> progress = new ArrayList<>();
    Backfill.Result result =
        Backfill.run(
            conf,
            ModelBundle.DEFAULT_INT8,
            version,
            spec,
            (rows, records) -> progress.add(new long[] {rows, records}));
    assertEquals(DOCUMENTS + DOCUMENTS / 10, result.records(), "every record up to the end");
    assertEquals(DOCUMENTS, result.rows());
    assertTrue(!progress.isEmpty(), "progress is reported");
    try (VectorStore store = spec.open()) {
      assertOneRowPerDocumentOfItsLatestText(store);
    }
  }

  @Test
  void withBackfillEmbeddingsTheTopicGetsEveryDocumentOfTheVersionKeyedByItsIdLatestTextLast()
      throws Exception {
    Configuration conf = documents();
    String topic = "embeddings-" + RUNS.get();
    kafka.createTopics(Map.of(topic, 2), Map.of());
    conf.set(EmbedderOptions.EMBEDDINGS_TOPIC, topic);
    conf.set(StoreOptions.BACKFILL_EMBEDDINGS, true);
    StoreSpec spec = StoreSpec.lucene(tmp.resolve("store-" + RUNS.get()), 384);
    Backfill.run(conf, ModelBundle.DEFAULT_INT8, version, spec, (r, n) -> {});
    List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> records =
        KafkaRecords.readCommitted(kafka.bootstrapServers(), topic);
    List<Embedding> embeddings =
        KafkaRecords.readCommitted(kafka.bootstrapServers(), topic, Embedding.class);
    // Every record of the documents topic once (the edited tenth twice, as the stream embeds them),
    // read committed; keyed by id, so a keyed store keeps the last: the vector of the latest text.
    assertEquals(DOCUMENTS + DOCUMENTS / 10, embeddings.size());
    Map<String, Embedding> last = new java.util.HashMap<>();
    for (int i = 0; i < records.size(); i++) {
      String key = new String(records.get(i).key(), java.nio.charset.StandardCharsets.UTF_8);
      assertEquals(embeddings.get(i).getId().toString(), key, "keyed by the document's id");
      assertEquals(version, embeddings.get(i).getModelVersion().toString());
      last.put(key, embeddings.get(i));
    }
    assertEquals(DOCUMENTS, last.size());
    for (int i = 0; i < DOCUMENTS; i++) {
      assertEquals(
          i % 10 == 0 ? "edited" : "first",
          last.get("doc-" + i).getAttributes().get("edition").toString(),
          "doc-" + i + ": its last record is of its latest text");
    }
    try (VectorStore store = spec.open()) {
      assertOneRowPerDocumentOfItsLatestText(store);
    }
  }

  @Test
  void aBackfillStoppedHalfWayAndRunAgainLeavesNoGapAndNoDuplicate() throws Exception {
    Configuration conf = documents();
    StoreSpec spec = StoreSpec.lucene(tmp.resolve("store-" + RUNS.get()), 384);
    long[] seen = {0};
    IllegalStateException crash =
        assertThrows(
            IllegalStateException.class,
            () ->
                Backfill.run(
                    conf,
                    ModelBundle.DEFAULT_INT8,
                    version,
                    spec,
                    (rows, records) -> {
                      if (rows > 0) {
                        seen[0] = rows;
                        throw new IllegalStateException("the backfill's process dies");
                      }
                    }));
    assertEquals("the backfill's process dies", crash.getMessage());
    try (VectorStore store = spec.open()) {
      long partial = store.count(version);
      assertTrue(partial > 0 && partial < DOCUMENTS, "stopped half-way: " + partial + " rows");
    }
    Backfill.Result again =
        Backfill.run(conf, ModelBundle.DEFAULT_INT8, version, spec, (r, n) -> {});
    assertEquals(DOCUMENTS, again.rows());
    try (VectorStore store = spec.open()) {
      assertOneRowPerDocumentOfItsLatestText(store);
    }
  }

  @Test
  void aTombstoneInTheDocumentsDeletesItsDocumentUnderEveryVersionAndReachesTheEmbeddingsTopic()
      throws Exception {
    Configuration conf = documents();
    String documents = conf.get(EmbedderOptions.SENTENCES_TOPIC);
    for (String id : List.of("doc-3", "doc-10")) {
      KafkaRecords.produceRaw(
          kafka.bootstrapServers(), documents, id.getBytes(StandardCharsets.UTF_8), null);
    }
    String topic = "embeddings-" + RUNS.get();
    kafka.createTopics(Map.of(topic, 2), Map.of());
    conf.set(EmbedderOptions.EMBEDDINGS_TOPIC, topic);
    conf.set(StoreOptions.BACKFILL_EMBEDDINGS, true);
    StoreSpec spec = StoreSpec.lucene(tmp.resolve("store-" + RUNS.get()), 384);
    float[] old = new float[384];
    old[0] = 1;
    try (VectorStore store = spec.open()) {
      // The version serving before: its rows of the deleted documents go too.
      store.upsert(
          List.of(
              new VectorRow("doc-3", "before", old, 1_000),
              new VectorRow("doc-4", "before", old, 1_000)));
    }
    Backfill.Result result =
        Backfill.run(conf, ModelBundle.DEFAULT_INT8, version, spec, (r, n) -> {});
    assertEquals(DOCUMENTS - 2, result.rows());
    try (VectorStore store = spec.open()) {
      assertEquals(Map.of(version, (long) DOCUMENTS - 2, "before", 1L), store.versions());
      assertTrue(store.get("doc-3", version).isEmpty() && store.get("doc-10", version).isEmpty());
      assertTrue(store.get("doc-3", "before").isEmpty(), "deleted under every version");
    }
    List<String> tombstones =
        KafkaRecords.readCommitted(kafka.bootstrapServers(), topic).stream()
            .filter(r -> r.value() == null)
            .map(r -> new String(r.key(), StandardCharsets.UTF_8))
            .sorted()
            .toList();
    assertEquals(List.of("doc-10", "doc-3"), tombstones, "stores fed from the topic delete too");
  }
}
