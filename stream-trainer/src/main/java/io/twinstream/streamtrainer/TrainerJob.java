package io.twinstream.streamtrainer;

import io.twinstream.embedder.JobArguments;
import io.twinstream.embedder.JobEnvironment;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The trainer as a job of its own, for teams that train on other machines (a task manager with a
 * GPU, say) than those that embed: {@code feedback-pairs} in, {@code model-updates} out; the
 * embedding jobs pick the promotions up from the topic as from any other announcer. {@code flink
 * run -c io.twinstream.streamtrainer.TrainerJob
 * stream-trainer/target/twinstream-stream-trainer-*-job.jar model.registry=s3://…
 * bootstrap.servers=…}. {@code trainer.enabled} does not matter here.
 */
public final class TrainerJob {

  /** Name of the Flink job. */
  public static final String JOB_NAME = "twinstream-trainer";

  private TrainerJob() {}

  /** Entry point on a Flink cluster. */
  public static void main(String[] args) throws Exception {
    Configuration conf = JobArguments.parse(args);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    JobEnvironment.configure(env, conf);
    TrainerPipeline.add(env, conf, null);
    env.execute(JOB_NAME);
  }
}
