package io.twinstream.embedder.store;

import io.twinstream.embedder.decode.DecodeFunction;
import io.twinstream.embedder.decode.Tombstones;
import io.twinstream.records.Embedding;
import io.twinstream.schemas.TrustedRecords;
import io.twinstream.schemas.decode.Decoded;
import io.twinstream.schemas.decode.RawRecord;
import io.twinstream.schemas.decode.RecordDecoder;
import io.twinstream.store.Deletion;
import io.twinstream.store.ModelVersions;
import io.twinstream.store.VectorRow;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Turns {@code embeddings} records into store changes. A tombstone (a key, no value) deletes the
 * document its key names under every version ({@link Tombstones#deletion}: its sequence is the
 * tombstone's timestamp). Any other record is a row: the row's sequence is the sentence's event
 * time in milliseconds, so a document's later text wins over an earlier one whichever arrives last
 * — the same order a backfill ({@link BackfillJob}), which reads the sentences themselves, writes
 * in. Of two texts of one document with the same event time the last written wins. Records that
 * cannot be stored — undecodable, a vector of other dimensions, a version name a store refuses — go
 * to {@link DecodeFunction#DEAD_LETTERS} with the reason, so that one bad record never stops the
 * sink.
 */
public final class EmbeddingRows extends ProcessFunction<RawRecord, StoreChange> {

  private static final long serialVersionUID = 1L;

  /** The dead letters' stage. */
  public static final String STAGE = "store-rows";

  private final RecordDecoder<Embedding> decoder;
  private transient Counter rowsIn;
  private transient Counter deletionsIn;
  private transient Counter deadLetters;

  public EmbeddingRows(int dimensions) {
    this.decoder =
        RecordDecoder.of(Embedding.class, STAGE)
            .check(
                (e, raw) ->
                    e.getVector().size() == dimensions
                        ? null
                        : "Embedding at "
                            + raw.position()
                            + " ("
                            + e.getId()
                            + ") has "
                            + e.getVector().size()
                            + " dimensions, the store takes "
                            + dimensions)
            .check(
                (e, raw) -> {
                  try {
                    ModelVersions.check(e.getModelVersion());
                    VectorRow.checkVector(floats(e.getVector()), e.getId().toString());
                    return null;
                  } catch (IllegalArgumentException bad) {
                    return "Embedding at " + raw.position() + ": " + bad.getMessage();
                  }
                });
  }

  @Override
  public void open(OpenContext context) {
    TrustedRecords.install();
    rowsIn = getRuntimeContext().getMetricGroup().counter("storeRowsIn");
    deletionsIn = getRuntimeContext().getMetricGroup().counter("deletionsIn");
    deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
  }

  @Override
  public void processElement(RawRecord raw, Context ctx, Collector<StoreChange> out) {
    Deletion deletion = Tombstones.deletion(raw);
    if (deletion != null) {
      deletionsIn.inc();
      out.collect(StoreChange.delete(deletion));
      return;
    }
    Decoded<Embedding> decoded = decoder.decode(raw, Instant.now());
    if (decoded.value() != null) {
      rowsIn.inc();
      out.collect(StoreChange.upsert(row(decoded.value())));
    } else if (decoded.deadLetter() != null) {
      deadLetters.inc();
      ctx.output(DecodeFunction.DEAD_LETTERS, decoded.deadLetter());
    }
  }

  private static float[] floats(List<Float> values) {
    float[] vector = new float[values.size()];
    for (int i = 0; i < vector.length; i++) {
      vector[i] = values.get(i);
    }
    return vector;
  }

  /** The row of embedding {@code e}: its sequence is the sentence's event time. */
  static VectorRow row(Embedding e) {
    float[] vector = floats(e.getVector());
    Map<String, String> attributes = new HashMap<>(e.getAttributes());
    attributes.put("tokenCount", Integer.toString(e.getTokenCount()));
    attributes.put("truncated", Boolean.toString(e.getTruncated()));
    attributes.put("embeddedAt", e.getEmbeddedAt().toString());
    return new VectorRow(
        e.getId(), e.getModelVersion(), vector, attributes, e.getEventTime().toEpochMilli());
  }
}
