package io.twinstream.embedder;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** What every Twinstream job sets on its execution environment, from {@link JobOptions}. */
public final class JobEnvironment {

  private JobEnvironment() {}

  /**
   * Checkpointing (exactly once), restart strategy, parallelism and buffer timeout of {@code env}.
   */
  public static void configure(StreamExecutionEnvironment env, Configuration conf) {
    JobOptions.validate(conf);
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
    // keeps it
    // from chaining with the source): Flink's default 100 ms buffer timeout would delay them that
    // long.
    env.setBufferTimeout(conf.get(JobOptions.BUFFER_TIMEOUT).toMillis());
    // Chained operators hand records over without a defensive copy: every operator here builds new
    // records
    // and keeps none it has emitted.
    env.getConfig().enableObjectReuse();
  }
}
