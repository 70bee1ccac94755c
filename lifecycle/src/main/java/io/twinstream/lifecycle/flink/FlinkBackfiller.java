package io.twinstream.lifecycle.flink;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.store.Backfill;
import io.twinstream.embedder.store.BackfillJob;
import io.twinstream.embedder.store.StoreOptions;
import io.twinstream.kafka.LiveKeys;
import io.twinstream.lifecycle.Backfiller;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle's backfill as a bounded Flink job ({@link Backfill}) where {@link BackfillCluster}
 * says: on a local mini-cluster in this process ({@code twinstream run}, the demo, {@code
 * twinstream backfill}), or submitted to a Flink session cluster ({@code twinstream controller
 * --backfill-cluster}), whose slots do the embedding while this process follows the rows in the
 * store.
 */
public final class FlinkBackfiller implements Backfiller {

  private static final Logger LOG = LoggerFactory.getLogger(FlinkBackfiller.class);

  private final Configuration conf;
  private final StoreSpec store;
  private final ModelSource models;
  private final BackfillCluster cluster;

  /**
   * @param conf the job's settings (Kafka, the documents topic, checkpoints, parallelism)
   */
  public FlinkBackfiller(
      Configuration conf, StoreSpec store, ModelSource models, BackfillCluster cluster) {
    this.conf = conf;
    this.store = store;
    this.models = models;
    this.cluster = cluster;
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
    StoreSpec into = store;
    if (!cluster.isLocal()) {
      cancelLeftOver(version);
      // A cluster shows a job's settings: its TaskManagers read the password from their own
      // $TWINSTREAM_STORE_PASSWORD, as the embedding job's do.
      c.removeConfig(StoreOptions.PASSWORD);
      into =
          new StoreSpec(
              store.kind(), store.location(), store.table(), store.dimensions(), store.user(), "");
    }
    Backfill.Result r =
        Backfill.run(
            cluster.environment(), c, models.model(version), version, into, progress::update);
    return new Result(r.records(), r.took());
  }

  /**
   * Cancels a backfill of {@code version} into this store that a controller which died left running
   * on the cluster: the new one reads every document again, and two would only compete for slots.
   */
  private void cancelLeftOver(String version) throws Exception {
    String name = BackfillJob.jobName(version, store);
    try (RestClusterClient<StandaloneClusterId> flink =
        new RestClusterClient<>(cluster.client(), StandaloneClusterId.getInstance())) {
      for (JobStatusMessage job : flink.listJobs().get(30, TimeUnit.SECONDS)) {
        if (job.getJobName().equals(name) && !job.getJobState().isGloballyTerminalState()) {
          LOG.info("cancelling {} ({}), left running by an earlier run", name, job.getJobId());
          flink.cancel(job.getJobId()).get(30, TimeUnit.SECONDS);
        }
      }
    }
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
