package io.twinstream.lifecycle.flink;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.store.Backfill;
import io.twinstream.embedder.store.StoreOptions;
import io.twinstream.kafka.LiveKeys;
import io.twinstream.lifecycle.Backfiller;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.Configuration;

/**
 * The lifecycle's backfill as a bounded job on a local Flink mini-cluster in this process ({@link
 * Backfill}): what {@code twinstream run}, the demo and {@code twinstream backfill} use.
 */
public final class MiniClusterBackfiller implements Backfiller {

  private final Configuration conf;
  private final StoreSpec store;
  private final ModelSource models;

  /**
   * @param conf the job's settings (Kafka, the documents topic, checkpoints, parallelism)
   */
  public MiniClusterBackfiller(Configuration conf, StoreSpec store, ModelSource models) {
    this.conf = conf;
    this.store = store;
    this.models = models;
  }

  /**
   * A backfill's micro-batch unless the job's options set {@code batch.size}: the first rows are in
   * the store 7 s after the promotion instead of 23 s, at the same rate (benchmarks §13).
   */
  public static final int BATCH_SIZE = 32;

  /** A backfill's store batch unless the job's options set {@code store.batch-size}. */
  public static final int STORE_BATCH_SIZE = 64;

  @Override
  public Result backfill(String version, Progress progress) throws Exception {
    Configuration c = new Configuration(conf);
    if (!conf.contains(EmbedderOptions.BATCH_SIZE)) {
      c.set(EmbedderOptions.BATCH_SIZE, BATCH_SIZE);
    }
    if (!conf.contains(StoreOptions.BATCH_SIZE)) {
      c.set(StoreOptions.BATCH_SIZE, STORE_BATCH_SIZE);
    }
    String checkpoints = conf.get(JobOptions.CHECKPOINT_DIR);
    if (!checkpoints.isBlank()) {
      c.set(JobOptions.CHECKPOINT_DIR, checkpoints + "-backfill-" + version);
    }
    Backfill.Result r = Backfill.run(c, models.model(version), version, store, progress::update);
    return new Result(r.records(), r.took());
  }

  /**
   * Reads the live document ids of the documents topic and looks each one up in the store (after a
   * quick check of the version's row count).
   */
  @Override
  public boolean complete(String version) {
    Map<String, Object> kafka = new HashMap<>();
    JobOptions.kafkaProperties(conf).forEach((k, v) -> kafka.put(k.toString(), v));
    kafka.put("bootstrap.servers", conf.get(JobOptions.BOOTSTRAP_SERVERS));
    Set<String> live =
        LiveKeys.read(kafka, conf.get(EmbedderOptions.SENTENCES_TOPIC), Duration.ofMinutes(5));
    try (VectorStore s = store.open()) {
      if (s.count(version) < live.size()) {
        return false;
      }
      for (String id : live) {
        if (s.get(id, version).isEmpty()) {
          return false;
        }
      }
      return true;
    }
  }
}
