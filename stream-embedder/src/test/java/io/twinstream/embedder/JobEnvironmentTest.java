package io.twinstream.embedder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job's checkpoints: durable and retained when the job stops, or refused for exactly-once
 * output unless memory is allowed; Flink's own keys given as job settings reach Flink.
 */
class JobEnvironmentTest {

  @TempDir Path tmp;

  private static Configuration job() {
    Configuration conf = new Configuration();
    conf.set(JobOptions.BOOTSTRAP_SERVERS, "localhost:9092");
    return conf;
  }

  private static StreamExecutionEnvironment env() {
    return StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
  }

  @Test
  void exactlyOnceWithCheckpointsOnlyInMemoryIsRefusedNamingTheOptions() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> JobEnvironment.configure(env(), job()));
    assertTrue(e.getMessage().contains("set checkpoint.dir"), e.getMessage());
    assertTrue(e.getMessage().contains("checkpoint.allow-in-memory=true"), e.getMessage());
  }

  @Test
  void inMemoryCheckpointsRunWhenAllowedOrWithoutTransactions() {
    Configuration allowed = job();
    allowed.set(JobOptions.CHECKPOINT_ALLOW_IN_MEMORY, true);
    JobEnvironment.configure(env(), allowed);
    Configuration atLeastOnce = job();
    atLeastOnce.set(JobOptions.DELIVERY_GUARANTEE, JobOptions.Guarantee.AT_LEAST_ONCE);
    JobEnvironment.configure(env(), atLeastOnce);
  }

  @Test
  void aCheckpointDirectoryGivesRetainedFileSystemCheckpoints() {
    Configuration conf = job();
    conf.set(JobOptions.CHECKPOINT_DIR, tmp.resolve("chk").toString());
    conf.set(JobOptions.CHECKPOINT_TOLERABLE_FAILURES, 5);
    StreamExecutionEnvironment env = env();
    JobEnvironment.configure(env, conf);
    var flink = env.getConfiguration();
    assertEquals("filesystem", flink.get(CheckpointingOptions.CHECKPOINT_STORAGE));
    assertEquals(
        tmp.resolve("chk").toUri().toString(),
        flink.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY));
    assertEquals(
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION,
        flink.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION));
    assertEquals(5, flink.get(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER));
  }

  @Test
  void flinksOwnCheckpointDirectoryCountsAsDurableAndFlinkKeysReachFlink() {
    Configuration conf = job();
    conf.setString(CheckpointingOptions.CHECKPOINTS_DIRECTORY.key(), "s3://bucket/checkpoints");
    conf.setString("execution.checkpointing.timeout", "42 s");
    StreamExecutionEnvironment env = env();
    JobEnvironment.configure(env, conf);
    assertEquals(
        Duration.ofSeconds(42),
        env.getConfiguration().get(CheckpointingOptions.CHECKPOINTING_TIMEOUT));
    assertEquals(
        "s3://bucket/checkpoints",
        env.getConfiguration().get(CheckpointingOptions.CHECKPOINTS_DIRECTORY));
  }

  @Test
  void aTransactionTimeoutThatFailedCheckpointsCouldOutlastIsRefused() {
    Configuration conf = job();
    conf.set(JobOptions.CHECKPOINT_ALLOW_IN_MEMORY, true);
    conf.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(20));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> JobEnvironment.configure(env(), conf));
    assertTrue(
        e.getMessage()
            .startsWith(
                "Option transaction.timeout (PT1M) must exceed checkpoint.interval x"
                    + " (checkpoint.tolerable-failures + 2) = PT1M40S"),
        e.getMessage());
  }
}
