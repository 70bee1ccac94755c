package io.twinstream.embedder.decode;

import io.twinstream.records.DeadLetter;
import io.twinstream.schemas.TrustedRecords;
import io.twinstream.schemas.decode.Decoded;
import io.twinstream.schemas.decode.RawRecord;
import io.twinstream.schemas.decode.RecordDecoder;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decode stage of every topic: a thin Flink shell around a plain-Java {@link RecordDecoder}.
 * Decoded records go on; records that cannot be used go to the {@link #DEAD_LETTERS} side output
 * with their raw bytes and the reason, and are counted ({@code deadLetters}); records for another
 * reader are dropped. A burst of bad records logs one warning per {@value #WARN_INTERVAL_MILLIS}
 * ms, not one per record.
 *
 * @param <T> the record type
 */
public final class DecodeFunction<T extends SpecificRecord> extends ProcessFunction<RawRecord, T> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(DecodeFunction.class);

  /** Least time between two dead-letter warnings of one instance. */
  public static final long WARN_INTERVAL_MILLIS = 10_000;

  /** Side output of records that could not be used. */
  public static final OutputTag<DeadLetter> DEAD_LETTERS =
      new OutputTag<>("dead-letters", new AvroTypeInfo<>(DeadLetter.class));

  private final RecordDecoder<T> decoder;
  private final String recordsInMetric;
  private transient Counter deadLetters;
  private transient Counter recordsIn;
  private transient RateLimitedWarning warning;

  /**
   * @param recordsInMetric name of the counter of records read (e.g. {@code sentencesIn})
   */
  public DecodeFunction(RecordDecoder<T> decoder, String recordsInMetric) {
    this.decoder = decoder;
    this.recordsInMetric = recordsInMetric;
  }

  /**
   * Adds the decode stage after {@code raw}: {@code name} is its name and uid; the dead letters are
   * the result's side output {@link #DEAD_LETTERS}.
   */
  public static <T extends SpecificRecord> SingleOutputStreamOperator<T> decode(
      DataStream<RawRecord> raw, RecordDecoder<T> decoder, String recordsInMetric, String name) {
    @SuppressWarnings({"unchecked", "rawtypes"})
    TypeInformation<T> type = new AvroTypeInfo(decoder.type());
    return raw.process(new DecodeFunction<>(decoder, recordsInMetric), type).name(name).uid(name);
  }

  @Override
  public void open(OpenContext context) {
    TrustedRecords.install();
    deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
    recordsIn = getRuntimeContext().getMetricGroup().counter(recordsInMetric);
    warning = new RateLimitedWarning(LOG, WARN_INTERVAL_MILLIS, System::currentTimeMillis);
  }

  @Override
  public void processElement(RawRecord raw, Context ctx, Collector<T> out) {
    recordsIn.inc();
    Decoded<T> decoded = decoder.decode(raw, Instant.now());
    if (decoded.value() != null) {
      out.collect(decoded.value());
    } else if (decoded.deadLetter() != null) {
      deadLetters.inc();
      warning.warn(
          "Dead-lettering "
              + raw.position()
              + " ("
              + decoder.stage()
              + "): "
              + decoded.deadLetter().getError());
      ctx.output(DEAD_LETTERS, decoded.deadLetter());
    }
  }
}
