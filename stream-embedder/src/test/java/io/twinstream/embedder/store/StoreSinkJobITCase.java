package io.twinstream.embedder.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobEnvironment;
import io.twinstream.embedder.JobOptions;
import io.twinstream.records.DeadLetter;
import io.twinstream.records.Embedding;
import io.twinstream.store.PgliteServer;
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
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store sink job on a real broker and a Flink mini-cluster, into each real store: one row per
 * (id, version) holding the vector of the latest event time, also when a stale one arrives later
 * and when the whole topic is replayed; records that cannot be stored dead-lettered with the
 * reason, the others written.
 */
class StoreSinkJobITCase {

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  private static final int DIM = 4;
  private static final AtomicInteger TOPICS = new AtomicInteger();
  private static EmbeddedKafka kafka;

  @TempDir static Path tmp;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopKafka() {
    kafka.close();
  }

  private static Embedding embedding(String id, String version, float... vector) {
    return embeddingAt(1, id, version, vector);
  }

  private static Embedding embeddingAt(long eventTime, String id, String version, float... vector) {
    List<Float> v = new ArrayList<>();
    for (float x : vector) {
      v.add(x);
    }
    return Embedding.newBuilder()
        .setId(id)
        .setModelVersion(version)
        .setVector(v)
        .setTruncated(false)
        .setTokenCount(7)
        .setEventTime(Instant.ofEpochMilli(eventTime))
        .setEmbeddedAt(Instant.EPOCH)
        .setAttributes(Map.of("lang", "en"))
        .build();
  }

  /** Fresh topics holding the test's embeddings; returns the job's configuration. */
  private static Configuration topicWithEmbeddings() throws Exception {
    int n = TOPICS.incrementAndGet();
    Configuration conf = new Configuration();
    conf.set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    conf.set(EmbedderOptions.EMBEDDINGS_TOPIC, "embeddings-" + n);
    conf.set(JobOptions.DEAD_LETTERS_TOPIC, "dead-letters-" + n);
    conf.set(StoreOptions.GROUP_ID, "store-it-" + n);
    conf.set(JobOptions.TRANSACTIONAL_ID_PREFIX, "store-it-" + n);
    conf.set(JobOptions.START_POSITION, JobOptions.StartPosition.EARLIEST);
    conf.set(JobOptions.BOUNDED, true);
    conf.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
    conf.set(JobOptions.CHECKPOINT_DIR, tmp.resolve("checkpoints-" + n).toString());
    conf.set(JobOptions.RESTART_ATTEMPTS, 0);
    conf.set(StoreOptions.DIMENSIONS, DIM);
    conf.set(StoreOptions.BATCH_SIZE, 2);
    kafka.createTopics(Map.of("embeddings-" + n, 2, "dead-letters-" + n, 1), Map.of());
    String topic = "embeddings-" + n;
    KafkaRecords.produce(
        kafka.bootstrapServers(),
        topic,
        List.of(
            embedding("a", "v1", 1, 0, 0, 0),
            embedding("b", "v1", 0, 1, 0, 0),
            embeddingAt(2, "a", "v1", 0, 0, 1, 0), // a's text changed: the newer vector
            embeddingAt(2, "a", "v2", 0, 0, 0, 1),
            embeddingAt(0, "b", "v1", 1, 0, 0, 0), // out of order: an older text of b, ignored
            embedding("c", "v1", 1, 1), // other dimensions: cannot be stored
            embedding("e", "v1", 0, 0, 0, 0)), // no direction: cannot be compared by cosine
        Embedding::getId);
    KafkaRecords.produceRaw(
        kafka.bootstrapServers(),
        topic,
        "d".getBytes(StandardCharsets.UTF_8),
        "not avro".getBytes(StandardCharsets.UTF_8));
    return conf;
  }

  private static void run(Configuration conf) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    JobEnvironment.configure(env, conf);
    StoreSinkJob.build(env, conf);
    env.execute("store-sink-it");
  }

  private static void assertTheNewestRowPerIdAndVersion(VectorStore store) {
    assertEquals(Map.of("v1", 2L, "v2", 1L), store.versions());
    VectorRow a = store.get("a", "v1").orElseThrow();
    assertArrayEquals(new float[] {0, 0, 1, 0}, a.vector());
    assertEquals("en", a.attributes().get("lang"));
    assertEquals("7", a.attributes().get("tokenCount"));
    assertArrayEquals(new float[] {0, 0, 0, 1}, store.get("a", "v2").orElseThrow().vector());
    assertArrayEquals(new float[] {0, 1, 0, 0}, store.get("b", "v1").orElseThrow().vector());
    assertEquals("a", store.search("v1", new float[] {0, 0, 1, 0}, 1).get(0).id());
  }

  /** Both runs dead-letter the three records that cannot be stored. */
  private static void assertThreeDeadLettersPerRun(Configuration conf) throws Exception {
    List<DeadLetter> dead =
        KafkaRecords.readCommitted(
            kafka.bootstrapServers(), conf.get(JobOptions.DEAD_LETTERS_TOPIC), DeadLetter.class);
    assertEquals(6, dead.size(), dead.toString());
    assertTrue(dead.stream().anyMatch(d -> d.getError().contains("zero vector")), dead.toString());
    assertTrue(dead.stream().anyMatch(d -> d.getError().contains("2 dimensions")), dead.toString());
    assertTrue(dead.stream().allMatch(d -> d.getStage().equals(EmbeddingRows.STAGE)));
  }

  @Test
  void everyCommittedVectorLandsInTheEmbeddedStoreOncePerIdAndVersionAlsoWhenReplayed()
      throws Exception {
    Configuration conf = topicWithEmbeddings();
    Path dir = tmp.resolve("lucene-" + TOPICS.get());
    conf.set(StoreOptions.KIND, "lucene");
    conf.set(StoreOptions.LOCATION, dir.toString());
    run(conf);
    conf.set(StoreOptions.GROUP_ID, conf.get(StoreOptions.GROUP_ID) + "-replay");
    run(conf); // the whole topic again, as after a restart from an old checkpoint
    try (VectorStore store = StoreSpec.lucene(dir, DIM).open()) {
      assertTheNewestRowPerIdAndVersion(store);
    }
    assertThreeDeadLettersPerRun(conf);
  }

  @Test
  void everyCommittedVectorLandsInPostgresOncePerIdAndVersionAlsoWhenReplayed() throws Exception {
    try (PgliteServer pg = PgliteServer.start()) {
      Configuration conf = topicWithEmbeddings();
      conf.set(StoreOptions.KIND, "pgvector");
      conf.set(StoreOptions.LOCATION, pg.jdbcUrl() + "&prepareThreshold=0");
      conf.set(StoreOptions.TABLE, "vectors");
      conf.set(StoreOptions.USER, "postgres");
      conf.set(StoreOptions.PASSWORD, "postgres");
      run(conf);
      conf.set(StoreOptions.GROUP_ID, conf.get(StoreOptions.GROUP_ID) + "-replay");
      run(conf);
      try (VectorStore store =
          StoreSpec.pgvector(
                  pg.jdbcUrl() + "&prepareThreshold=0", "vectors", DIM, "postgres", "postgres")
              .open()) {
        assertTheNewestRowPerIdAndVersion(store);
      }
      assertThreeDeadLettersPerRun(conf);
    }
  }

  @Test
  void aDatabaseThatIsDownHoldsTheJobBackAndItCatchesUpWhenItIsBackLosingNothing()
      throws Exception {
    Path data = tmp.resolve("pgdata-" + TOPICS.get());
    int port = PgliteServer.freePort();
    Configuration conf = topicWithEmbeddings();
    conf.set(StoreOptions.KIND, "pgvector");
    conf.set(StoreOptions.TABLE, "outage");
    conf.set(StoreOptions.USER, "postgres");
    conf.set(StoreOptions.PASSWORD, "postgres");
    conf.set(StoreOptions.BACKOFF_FIRST, Duration.ofMillis(100));
    conf.set(StoreOptions.BACKOFF_MAX, Duration.ofMillis(400));
    String url;
    try (PgliteServer pg = PgliteServer.start(data, port)) {
      url = pg.jdbcUrl() + "&prepareThreshold=0";
    }
    conf.set(StoreOptions.LOCATION, url); // the database is down when the job starts
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    JobEnvironment.configure(env, conf);
    StoreSinkJob.build(env, conf);
    var job = env.executeAsync("store-sink-outage-it");
    long downUntil = System.nanoTime() + Duration.ofSeconds(4).toNanos();
    while (System.nanoTime() < downUntil) {
      assertTrue(
          !job.getJobExecutionResult().isDone(), "the job waits for the store, it does not end");
      Thread.onSpinWait();
    }
    try (PgliteServer pg = PgliteServer.start(data, port)) {
      job.getJobExecutionResult().get(2, java.util.concurrent.TimeUnit.MINUTES);
      try (VectorStore store =
          StoreSpec.pgvector(url, "outage", DIM, "postgres", "postgres").open()) {
        assertTheNewestRowPerIdAndVersion(store);
      }
    }
  }

  @Test
  void aTombstoneDeletesItsDocumentUnderEveryVersionAndNoOlderVectorBringsItBack()
      throws Exception {
    Configuration conf = topicWithEmbeddings();
    String topic = conf.get(EmbedderOptions.EMBEDDINGS_TOPIC);
    long later = System.currentTimeMillis() + 3_600_000;
    KafkaRecords.produceRaw(
        kafka.bootstrapServers(), topic, "a".getBytes(StandardCharsets.UTF_8), null);
    KafkaRecords.produceRaw(
        kafka.bootstrapServers(), topic, "b".getBytes(StandardCharsets.UTF_8), null);
    KafkaRecords.produce(
        kafka.bootstrapServers(),
        topic,
        List.of(
            embeddingAt(5, "a", "v2", 1, 1, 0, 0), // a late vector of a's old text: stays out
            embeddingAt(later, "b", "v1", 1, 1, 1, 0)), // b written again after its deletion
        Embedding::getId);
    Path dir = tmp.resolve("lucene-" + TOPICS.get());
    conf.set(StoreOptions.KIND, "lucene");
    conf.set(StoreOptions.LOCATION, dir.toString());
    run(conf);
    conf.set(StoreOptions.GROUP_ID, conf.get(StoreOptions.GROUP_ID) + "-replay");
    run(conf); // the topic again: the old vectors of a and b replayed after their tombstones
    try (VectorStore store = StoreSpec.lucene(dir, DIM).open()) {
      assertEquals(Map.of("v1", 1L), store.versions(), "a is gone under v1 and v2");
      VectorRow b = store.get("b", "v1").orElseThrow();
      assertArrayEquals(new float[] {1, 1, 1, 0}, b.vector());
      assertEquals(later, b.sequence());
    }
  }
}
