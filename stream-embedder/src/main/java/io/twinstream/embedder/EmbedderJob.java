package io.twinstream.embedder;

import io.twinstream.embedder.decode.DecodeFunction;
import io.twinstream.embedder.decode.Tombstones;
import io.twinstream.embedder.operator.EmbedOperator;
import io.twinstream.records.DeadLetter;
import io.twinstream.records.Embedding;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.TrustedRecords;
import io.twinstream.schemas.decode.RawRecord;
import io.twinstream.schemas.decode.RecordDecoders;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

/**
 * The embedding job: {@code sentences} (Avro {@link Sentence}) → decode (bad records to {@code
 * dead-letters}) → micro-batched embedding → {@code embeddings} (Avro {@link Embedding}, keyed by
 * sentence id), exactly once by default; a tombstone on {@code sentences} (a key, no value) becomes
 * a tombstone of the same key on {@code embeddings} ({@link Tombstones}), which deletes the
 * document from the stores fed from it; {@code model-updates} switch the serving model when a
 * registry is configured.
 *
 * <p>On a Flink cluster: {@code flink run
 * stream-embedder/target/twinstream-stream-embedder-*-job.jar [--properties FILE] [key=value ...]}
 * with the keys of {@link JobOptions} and {@link EmbedderOptions}. This jar has no trainer; the
 * embedding job with the trainer is {@code stream-trainer}'s {@code LearningJob}.
 */
public final class EmbedderJob {

  /** Name of the Flink job. */
  public static final String JOB_NAME = "twinstream-embedder";

  /** The option that turns the trainer on; only the trainer's job jar has one. */
  static final String TRAINER_ENABLED = "trainer.enabled";

  private EmbedderJob() {}

  /** Adds the embedding pipeline to {@code env}. */
  public static void build(StreamExecutionEnvironment env, Configuration conf) {
    build(env, conf, SentenceStreamHook.NONE);
  }

  /**
   * Adds the embedding pipeline to {@code env}, with {@code hook} between decoding and embedding.
   */
  public static void build(
      StreamExecutionEnvironment env, Configuration conf, SentenceStreamHook hook) {
    TrustedRecords.install();
    EmbedderOptions.validate(conf);

    DataStream<RawRecord> raw =
        KafkaSources.raw(
            env,
            conf,
            conf.get(EmbedderOptions.SENTENCES_TOPIC),
            conf.get(JobOptions.GROUP_ID),
            KafkaSources.startingOffsets(conf.get(JobOptions.START_POSITION)),
            "sentences");
    SingleOutputStreamOperator<RawRecord> texts = Tombstones.split(raw, "tombstones");
    SingleOutputStreamOperator<Sentence> sentences =
        DecodeFunction.decode(
            texts, RecordDecoders.sentences(JobOptions.inputLimits(conf)), "sentencesIn", "decode");
    DataStream<DeadLetter> deadLetters = sentences.getSideOutput(DecodeFunction.DEAD_LETTERS);

    DataStream<ModelUpdate> updates;
    String registry = conf.get(JobOptions.MODEL_REGISTRY);
    if (registry.isBlank()) {
      // No registry, no updates: an empty stream that ends when the sentences end.
      updates =
          raw.flatMap(new NoModelUpdates(), new AvroTypeInfo<>(ModelUpdate.class))
              .name("no-model-updates");
    } else {
      // Always from the beginning without a checkpoint: the latest promotion must reach a fresh job
      // too.
      SingleOutputStreamOperator<ModelUpdate> decoded =
          DecodeFunction.decode(
                  KafkaSources.raw(
                          env,
                          conf,
                          conf.get(JobOptions.MODEL_UPDATES_TOPIC),
                          conf.get(JobOptions.GROUP_ID) + "-model-updates",
                          OffsetsInitializer.earliest(),
                          "model-updates")
                      .setParallelism(1),
                  RecordDecoders.modelUpdates(conf.get(JobOptions.REGISTRY_NAME)),
                  "modelUpdatesIn",
                  "decode-model-updates")
              .setParallelism(1);
      deadLetters = deadLetters.union(decoded.getSideOutput(DecodeFunction.DEAD_LETTERS));
      updates = decoded;
    }

    SingleOutputStreamOperator<Embedding> embeddings =
        hook.apply(sentences)
            .connect(updates.broadcast())
            .transform(
                "embed",
                new AvroTypeInfo<>(Embedding.class),
                new EmbedOperator(
                    conf.get(JobOptions.MODEL),
                    registry,
                    conf.get(EmbedderOptions.BATCH_SIZE),
                    conf.get(EmbedderOptions.BATCH_MAX_TOKENS),
                    conf.get(EmbedderOptions.ENCODER_BATCH_SIZE),
                    conf.get(EmbedderOptions.BATCH_MAX_WAIT).toMillis(),
                    conf.get(EmbedderOptions.ENCODER_THREADS),
                    conf.get(EmbedderOptions.DUAL_WRITE)))
            .uid("embed");

    embeddings
        .sinkTo(KafkaSinks.embeddings(conf, "embeddings"))
        .name("embeddings-sink")
        .uid("embeddings-sink");
    texts
        .getSideOutput(Tombstones.DELETIONS)
        .sinkTo(KafkaSinks.tombstones(conf, "embeddings-tombstones"))
        .name("embeddings-tombstones-sink")
        .uid("embeddings-tombstones-sink");
    deadLetters
        .sinkTo(
            KafkaSinks.avro(
                conf,
                conf.get(JobOptions.DEAD_LETTERS_TOPIC),
                DeadLetter.class,
                null,
                "dead-letters"))
        .name("dead-letters-sink")
        .uid("dead-letters-sink");
  }

  /** Emits nothing: the model-update input of a job without a registry. */
  private static final class NoModelUpdates implements FlatMapFunction<RawRecord, ModelUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public void flatMap(RawRecord value, Collector<ModelUpdate> out) {
      // no updates
    }
  }

  /** Entry point of the embedding job jar on a Flink cluster. */
  public static void main(String[] args) throws Exception {
    Configuration conf = JobArguments.parse(args);
    if (conf.toMap().getOrDefault(TRAINER_ENABLED, "false").trim().equalsIgnoreCase("true")) {
      throw new IllegalArgumentException(
          TRAINER_ENABLED
              + "=true needs the trainer, which this embedding-only jar "
              + "does not carry: run stream-trainer's job jar (twinstream-stream-trainer-*-job.jar) instead");
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    JobEnvironment.configure(env, conf);
    build(env, conf);
    env.execute(JOB_NAME);
  }
}
