package io.twinstream.embedder;

import java.nio.file.Path;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** What every Twinstream job sets on its execution environment, from {@link JobOptions}. */
public final class JobEnvironment {

  private JobEnvironment() {}

  /**
   * Checkpointing (exactly once, durable, retained on cancel), restart strategy, parallelism and
   * buffer timeout of {@code env}; then the Flink settings the job's configuration names itself
   * ({@code execution.*}, {@code pipeline.*}, {@code state.*}…), which win.
   *
   * @throws IllegalArgumentException when exactly-once output would rest on checkpoints kept only
   *     in memory, and {@link JobOptions#CHECKPOINT_ALLOW_IN_MEMORY} does not allow it
   */
  public static void configure(StreamExecutionEnvironment env, Configuration conf) {
    JobOptions.validate(conf);
    Configuration checkpoints = new Configuration();
    String dir = conf.get(JobOptions.CHECKPOINT_DIR).trim();
    if (!dir.isEmpty()) {
      checkpoints.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
      checkpoints.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, uri(dir));
    } else if (conf.get(JobOptions.DELIVERY_GUARANTEE) == JobOptions.Guarantee.EXACTLY_ONCE
        && !conf.get(JobOptions.CHECKPOINT_ALLOW_IN_MEMORY)
        && !durable(conf)
        && !durable(env.getConfiguration())) {
      throw new IllegalArgumentException(
          "Exactly-once output needs durable checkpoints: set "
              + JobOptions.CHECKPOINT_DIR.key()
              + " (or Flink's "
              + CheckpointingOptions.CHECKPOINTS_DIRECTORY.key()
              + "). Checkpoints kept in memory die with the process, and a job started again without "
              + "them writes again what it wrote since its last offset commit; "
              + JobOptions.CHECKPOINT_ALLOW_IN_MEMORY.key()
              + "=true runs anyway");
    }
    checkpoints.set(
        CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    checkpoints.set(
        CheckpointingOptions.TOLERABLE_FAILURE_NUMBER,
        conf.get(JobOptions.CHECKPOINT_TOLERABLE_FAILURES));
    env.configure(checkpoints);
    Configuration restart = new Configuration();
    int attempts = conf.get(JobOptions.RESTART_ATTEMPTS);
    if (attempts == 0) {
      restart.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    } else {
      restart.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
      restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
      restart.set(
          RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY,
          conf.get(JobOptions.RESTART_DELAY));
    }
    env.configure(restart);
    env.enableCheckpointing(
        conf.get(JobOptions.CHECKPOINT_INTERVAL).toMillis(), CheckpointingMode.EXACTLY_ONCE);
    env.setParallelism(conf.get(JobOptions.PARALLELISM));
    // Sentences cross a network edge to the embedding operator (its second input, model updates,
    // keeps it from chaining with the source): Flink's default 100 ms buffer timeout would delay
    // them that long.
    env.setBufferTimeout(conf.get(JobOptions.BUFFER_TIMEOUT).toMillis());
    // Chained operators hand records over without a defensive copy: every operator here builds new
    // records and keeps none it has emitted.
    env.getConfig().enableObjectReuse();
    // Flink's own keys given as job settings (--set execution.checkpointing.timeout=..., job-jar
    // arguments) reach Flink; Twinstream's keys are not Flink's and are ignored here.
    env.configure(conf);
  }

  /** Whether {@code config} keeps checkpoints in a file system (a checkpoint directory is set). */
  static boolean durable(ReadableConfig config) {
    return config.getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY).isPresent();
  }

  /** {@code dir} as a URI: a plain path becomes {@code file:///…}; a URI stays as it is. */
  static String uri(String dir) {
    return dir.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:/.*")
        ? dir
        : Path.of(dir).toAbsolutePath().toUri().toString();
  }
}
