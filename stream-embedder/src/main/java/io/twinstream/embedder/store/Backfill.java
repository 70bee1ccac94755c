package io.twinstream.embedder.store;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobEnvironment;
import io.twinstream.embedder.JobOptions;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Runs a {@link BackfillJob} on a local Flink mini-cluster or a Flink cluster and waits for it,
 * reporting progress as rows of the version in the store against records in the documents topic,
 * then compacts the store ({@link VectorStore#compact()}: the embedded store merges its segments,
 * so that searches of the version are fast from its cut-over on). Cut-over is the caller's, once
 * this returns: a backfill that failed or was cancelled throws, and nothing may cut over to its
 * version (running it again completes it).
 */
public final class Backfill {

  private Backfill() {}

  /**
   * What a backfill did.
   *
   * @param took from start to end, compaction included
   * @param compaction the store's compaction at the end ({@link VectorStore#compact()})
   */
  public record Result(
      String version, long records, long rows, Duration took, Duration compaction) {
    /** Documents topic records read per second. */
    public double recordsPerSecond() {
      return records / Math.max(1e-9, took.toNanos() / 1e9);
    }
  }

  /** Told about progress about once a second. */
  @FunctionalInterface
  public interface Listener {
    /**
     * @param rows rows of the version in the store so far (documents, once each)
     * @param records records of the documents topic to read (documents and their older texts)
     */
    void progress(long rows, long records);
  }

  /**
   * Backfills {@code version}, embedded by {@code model}, into {@code store}.
   *
   * @throws Exception when the job fails, naming why; the store keeps what was written
   */
  public static Result run(
      Configuration conf, String model, String version, StoreSpec store, Listener listener)
      throws Exception {
    return run(
        StreamExecutionEnvironment.getExecutionEnvironment(),
        conf,
        model,
        version,
        store,
        listener);
  }

  /**
   * Backfills {@code version} as a job of {@code env}: a local one, or a remote one that submits it
   * to a Flink cluster's REST endpoint ({@link
   * StreamExecutionEnvironment#createRemoteEnvironment}), whose TaskManagers must reach the broker,
   * the store and the model as this process does.
   *
   * @throws Exception when the job fails, naming why; the store keeps what was written
   */
  public static Result run(
      StreamExecutionEnvironment env,
      Configuration conf,
      String model,
      String version,
      StoreSpec store,
      Listener listener)
      throws Exception {
    long records = records(conf);
    long started = System.nanoTime();
    JobEnvironment.configure(env, conf);
    BackfillJob.build(env, conf, model, store);
    JobClient job = env.executeAsync(BackfillJob.jobName(version, store));
    // A local cluster shuts down with its job: ask the result future, not the cluster.
    CompletableFuture<JobExecutionResult> done = job.getJobExecutionResult();
    try (VectorStore view = store.open()) {
      while (!done.isDone()) {
        listener.progress(view.count(version), records);
        try {
          done.get(1, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
          // still running
        }
      }
      done.get(); // throws with the cause when it failed
      long rows = view.count(version);
      listener.progress(rows, records);
      long compacting = System.nanoTime();
      view.compact(); // searches of the version are fast from its cut-over on
      return new Result(
          version,
          records,
          rows,
          Duration.ofNanos(System.nanoTime() - started),
          Duration.ofNanos(System.nanoTime() - compacting));
    } catch (ExecutionException e) {
      Throwable root = e.getCause() == null ? e : e.getCause();
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      // Flink's "Job failed" says nothing of why: name the cause that stopped it.
      throw new IllegalStateException(
          "the backfill job of " + version + " failed: " + root, e.getCause());
    } catch (Exception | Error e) {
      if (!done.isDone()) {
        job.cancel().get(); // interrupted, or the listener gave up: the job must not go on alone
      }
      throw e;
    }
  }

  /** Records in the documents topic now: what the backfill reads. */
  static long records(Configuration conf) {
    Properties p = JobOptions.kafkaProperties(conf);
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, conf.get(JobOptions.BOOTSTRAP_SERVERS));
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    String topic = conf.get(EmbedderOptions.SENTENCES_TOPIC);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
              .map(info -> new TopicPartition(topic, info.partition()))
              .toList();
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long n = 0;
      for (TopicPartition tp : partitions) {
        n += end.get(tp) - begin.get(tp);
      }
      return n;
    }
  }
}
