package io.twinstream.embedder.store;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.KafkaSinks;
import io.twinstream.embedder.KafkaSources;
import io.twinstream.embedder.decode.DecodeFunction;
import io.twinstream.embedder.decode.Tombstones;
import io.twinstream.embedder.operator.EmbedOperator;
import io.twinstream.records.Embedding;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.TrustedRecords;
import io.twinstream.schemas.decode.RawRecord;
import io.twinstream.schemas.decode.RecordDecoders;
import io.twinstream.store.Deletion;
import io.twinstream.store.StoreSpec;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamSource;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

/**
 * The backfill of one model version: a bounded job that reads the documents — the {@code sentences}
 * topic, compacted with key = id, from its earliest offsets up to the offsets that were latest when
 * the job started — embeds them with that version and upserts the vectors into the store. A
 * document written twice before compaction is embedded twice and stored once: rows are ordered by
 * the sentence's event time, so the later text wins whatever the order of the writes, and a
 * backfill that is run again after a crash rewrites the same rows (no gap, no duplicate). Records
 * that cannot be embedded go to {@code dead-letters}, as in the streaming job. A tombstone that
 * compaction has not removed yet deletes its document under every version, as in the stream: the
 * store keeps the deletion, so the document's earlier texts, embedded here or replayed, stay out.
 *
 * <p>With {@link StoreOptions#BACKFILL_EMBEDDINGS} it also writes the embeddings to the embeddings
 * topic, for stores that other sinks feed from it.
 *
 * <p>Everything after the end offsets is the streaming job's: with {@code store.dual-write} it
 * writes new and changed documents with both the version the store searches and the new one, so the
 * new version has no gaps when the backfill ends.
 */
public final class BackfillJob {

  /** The job's name. */
  public static final String JOB_NAME = "twinstream-backfill";

  /**
   * The name of the backfill of {@code version} into {@code store}: what a cluster lists, and what
   * a restarted controller looks for to cancel a backfill its predecessor left running.
   */
  public static String jobName(String version, StoreSpec store) {
    return JOB_NAME + " " + version + " into " + store.table();
  }

  private BackfillJob() {}

  /**
   * Adds the backfill of {@code model} (a bundle directory, a built-in name, or a version URI of
   * the registry {@code model.registry} names) into {@code store} to {@code env}. The source is
   * bounded whatever {@code conf} says.
   */
  public static void build(
      StreamExecutionEnvironment env, Configuration conf, String model, StoreSpec store) {
    TrustedRecords.install();
    Configuration bounded = new Configuration(conf);
    bounded.set(JobOptions.BOUNDED, true);
    DataStreamSource<RawRecord> raw =
        KafkaSources.raw(
            env,
            bounded,
            conf.get(EmbedderOptions.SENTENCES_TOPIC),
            conf.get(JobOptions.GROUP_ID) + "-backfill",
            OffsetsInitializer.earliest(),
            "documents");
    SingleOutputStreamOperator<RawRecord> texts = Tombstones.split(raw, "tombstones");
    DataStream<Deletion> deletions = texts.getSideOutput(Tombstones.DELETIONS);
    SingleOutputStreamOperator<Sentence> documents =
        DecodeFunction.decode(
            texts, RecordDecoders.sentences(JobOptions.inputLimits(conf)), "sentencesIn", "decode");
    DataStream<ModelUpdate> none =
        raw.flatMap(new NoUpdates(), new AvroTypeInfo<>(ModelUpdate.class)).name("no-updates");
    SingleOutputStreamOperator<Embedding> embedded =
        documents
            .connect(none.broadcast())
            .transform(
                "embed",
                new AvroTypeInfo<>(Embedding.class),
                new EmbedOperator(
                    model,
                    conf.get(JobOptions.MODEL_REGISTRY),
                    conf.get(EmbedderOptions.BATCH_SIZE),
                    conf.get(EmbedderOptions.BATCH_MAX_TOKENS),
                    conf.get(EmbedderOptions.ENCODER_BATCH_SIZE),
                    conf.get(EmbedderOptions.BATCH_MAX_WAIT).toMillis(),
                    conf.get(EmbedderOptions.ENCODER_THREADS),
                    false))
            .uid("embed");
    SingleOutputStreamOperator<StoreChange> rows =
        embedded
            .map(new ToRow(), TypeInformation.of(StoreChange.class))
            .name("store-rows")
            .uid("store-rows");
    SingleOutputStreamOperator<StoreChange> deletes =
        deletions
            .map(new ToDeletion(), TypeInformation.of(StoreChange.class))
            .name("store-deletions")
            .uid("store-deletions");
    StoreSinkJob.intoStore(rows.union(deletes), conf, store);
    if (conf.get(StoreOptions.BACKFILL_EMBEDDINGS)) {
      // Keyed by id as the stream's embeddings are: a keyed downstream keeps one vector per
      // document and version. Transactions of their own, committed on the job's checkpoints (the
      // last one as the bounded job finishes).
      embedded
          .sinkTo(KafkaSinks.embeddings(conf, "backfill-embeddings"))
          .name("backfill-embeddings-sink")
          .uid("backfill-embeddings-sink");
      deletions
          .sinkTo(KafkaSinks.tombstones(conf, "backfill-tombstones"))
          .name("backfill-tombstones-sink")
          .uid("backfill-tombstones-sink");
    }
    StoreSinkJob.deadLetters(
        documents.getSideOutput(DecodeFunction.DEAD_LETTERS), conf, "backfill-dead-letters");
  }

  /** The model-update input of the embedding operator: a backfill embeds with one version. */
  private static final class NoUpdates implements FlatMapFunction<RawRecord, ModelUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public void flatMap(RawRecord value, Collector<ModelUpdate> out) {
      // no updates
    }
  }

  /** An embedding as a store row, ordered by the sentence's event time. */
  private static final class ToRow implements MapFunction<Embedding, StoreChange> {
    private static final long serialVersionUID = 1L;

    @Override
    public StoreChange map(Embedding e) {
      return StoreChange.upsert(EmbeddingRows.row(e));
    }
  }

  /** A tombstone as the store applies it. */
  private static final class ToDeletion implements MapFunction<Deletion, StoreChange> {
    private static final long serialVersionUID = 1L;

    @Override
    public StoreChange map(Deletion d) {
      return StoreChange.delete(d);
    }
  }
}
