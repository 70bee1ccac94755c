package io.twinstream.streamtrainer;

import io.twinstream.embedder.EmbedderJob;
import io.twinstream.embedder.JobArguments;
import io.twinstream.embedder.JobEnvironment;
import io.twinstream.embedder.SentenceStreamHook;
import io.twinstream.embedder.store.StoreOptions;
import io.twinstream.embedder.store.StoreSinkJob;
import io.twinstream.trainer.online.RoundObserver;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The embedding job, with the trainer when {@link TrainerOptions#ENABLED} and the store sink when
 * {@code store.location} is set: one job that embeds, keeps its encoder learning and feeds a vector
 * store. The default main class of stream-trainer's job jar: {@code flink run
 * stream-trainer/target/twinstream-stream-trainer-*-job.jar trainer.enabled=true model.registry=…
 * …}.
 */
public final class LearningJob {

  /** Name of the Flink job. */
  public static final String JOB_NAME = "twinstream-learning";

  private LearningJob() {}

  /**
   * Adds the embedding pipeline, and the trainer when it is enabled, to {@code env}.
   *
   * @param hook a transformation between decoding and embedding ({@link SentenceStreamHook#NONE})
   * @param observer hears the trainer's rounds (may be null)
   */
  public static void build(
      StreamExecutionEnvironment env,
      Configuration conf,
      SentenceStreamHook hook,
      RoundObserver observer) {
    if (conf.get(TrainerOptions.ENABLED)) {
      TrainerOptions.validate(conf); // before anything is built: a wrong option is reported first
    }
    EmbedderJob.build(env, conf, hook);
    if (conf.get(TrainerOptions.ENABLED)) {
      TrainerPipeline.add(env, conf, observer);
    }
  }

  /** Entry point on a Flink cluster. */
  public static void main(String[] args) throws Exception {
    Configuration conf = JobArguments.parse(args);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    JobEnvironment.configure(env, conf);
    build(env, conf, SentenceStreamHook.NONE, null);
    if (conf.contains(StoreOptions.LOCATION)) {
      // The store sink in the same job, as `twinstream run` does: one application, one cluster.
      StoreSinkJob.build(env, conf);
    }
    env.execute(conf.get(TrainerOptions.ENABLED) ? JOB_NAME : EmbedderJob.JOB_NAME);
  }
}
