package io.twinstream.embedder.store;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobArguments;
import io.twinstream.embedder.JobEnvironment;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.KafkaSinks;
import io.twinstream.embedder.KafkaSources;
import io.twinstream.embedder.decode.DecodeFunction;
import io.twinstream.records.DeadLetter;
import io.twinstream.schemas.TrustedRecords;
import io.twinstream.store.StoreSpec;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code embeddings} (read committed) → {@link EmbeddingRows} → {@link VectorStoreSink}: every
 * committed vector of every version into a store, exactly one row per (id, version) even across
 * restarts, and every tombstone a deletion of its document under every version; records that cannot
 * be stored go to {@code dead-letters}. With {@code source.bounded} it stops at the offsets that
 * were latest at its start.
 */
public final class StoreSinkJob {

  /** The job's name. */
  public static final String JOB_NAME = "twinstream-store-sink";

  private StoreSinkJob() {}

  /**
   * Entry point: {@code key=value} arguments or {@code --properties FILE}, as the embedding job
   * takes them (on a cluster: {@code flink run -c io.twinstream.embedder.store.StoreSinkJob
   * twinstream-stream-embedder-*-job.jar store.location=...}).
   */
  public static void main(String[] args) throws Exception {
    Configuration conf = JobArguments.parse(args);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    JobEnvironment.configure(env, conf);
    build(env, conf);
    env.execute(JOB_NAME);
  }

  /** Adds the sink job's pipeline to {@code env}. */
  public static void build(StreamExecutionEnvironment env, Configuration conf) {
    TrustedRecords.install();
    StoreSpec spec = StoreOptions.spec(conf);
    SingleOutputStreamOperator<StoreChange> changes =
        KafkaSources.raw(
                env,
                conf,
                conf.get(EmbedderOptions.EMBEDDINGS_TOPIC),
                conf.get(StoreOptions.GROUP_ID),
                KafkaSources.startingOffsets(conf.get(JobOptions.START_POSITION)),
                "embeddings")
            .process(
                new EmbeddingRows(conf.get(StoreOptions.DIMENSIONS)),
                TypeInformation.of(StoreChange.class))
            .name("store-rows")
            .uid("store-rows");
    intoStore(changes, conf, spec);
    deadLetters(changes.getSideOutput(DecodeFunction.DEAD_LETTERS), conf, "store-dead-letters");
  }

  /**
   * Applies {@code changes} to the store {@code spec} names, in batches of {@code store.batch-size}
   * flushed at checkpoints (one writer for a Lucene directory).
   */
  static void intoStore(DataStream<StoreChange> changes, Configuration conf, StoreSpec spec) {
    var sink =
        changes
            .sinkTo(
                new VectorStoreSink(
                    spec,
                    conf.get(StoreOptions.BATCH_SIZE),
                    conf.get(StoreOptions.BACKOFF_FIRST),
                    conf.get(StoreOptions.BACKOFF_MAX)))
            .name("vector-store")
            .uid("vector-store");
    if (spec.kind().singleWriter()) {
      sink.setParallelism(1); // one writer per Lucene directory
    }
  }

  /**
   * Sends {@code deadLetters} to the dead-letter topic; {@code name} (its sink's transactional id
   * and uid) must be unique in the job graph: the store sink may share one with the embedding job.
   */
  static void deadLetters(DataStream<DeadLetter> deadLetters, Configuration conf, String name) {
    deadLetters
        .sinkTo(
            KafkaSinks.avro(
                conf, conf.get(JobOptions.DEAD_LETTERS_TOPIC), DeadLetter.class, null, name))
        .name(name + "-sink")
        .uid(name + "-sink");
  }
}
