package io.twinstream.embedder.decode;

import io.twinstream.schemas.decode.RawRecord;
import io.twinstream.store.Deletion;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Takes the tombstones out of a keyed topic before it is decoded: a record with a key and no value
 * deletes the document its key names, so it goes to the {@link #DELETIONS} side output as a {@link
 * Deletion} whose sequence is the record's Kafka timestamp (when the document was deleted, on the
 * scale of the event times that order a store's rows). Every other record goes on; one with neither
 * key nor value stays in the stream and the decoder dead-letters it (it names no document). Counted
 * as {@code deletionsIn}.
 */
public final class Tombstones extends ProcessFunction<RawRecord, RawRecord> {

  private static final long serialVersionUID = 1L;

  /** The deletions read. */
  public static final OutputTag<Deletion> DELETIONS =
      new OutputTag<>("deletions", TypeInformation.of(Deletion.class));

  private transient Counter deletionsIn;

  /**
   * Adds the split after {@code raw}: {@code name} is its name and uid; the deletions are the
   * result's side output {@link #DELETIONS}.
   */
  public static SingleOutputStreamOperator<RawRecord> split(
      DataStream<RawRecord> raw, String name) {
    return raw.process(new Tombstones(), raw.getType()).name(name).uid(name);
  }

  /** The deletion a record is, or null when it is not a tombstone that names a document. */
  public static Deletion deletion(RawRecord raw) {
    if (raw.value != null || raw.key == null || raw.key.length == 0) {
      return null;
    }
    return new Deletion(new String(raw.key, StandardCharsets.UTF_8), raw.timestamp);
  }

  @Override
  public void open(OpenContext context) {
    deletionsIn = getRuntimeContext().getMetricGroup().counter("deletionsIn");
  }

  @Override
  public void processElement(RawRecord raw, Context ctx, Collector<RawRecord> out) {
    Deletion deletion = deletion(raw);
    if (deletion == null) {
      out.collect(raw);
    } else {
      deletionsIn.inc();
      ctx.output(DELETIONS, deletion);
    }
  }
}
