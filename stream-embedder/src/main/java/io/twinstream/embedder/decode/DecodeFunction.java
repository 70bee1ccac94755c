package io.twinstream.embedder.decode;

import io.twinstream.embedder.source.RawRecord;
import io.twinstream.records.DeadLetter;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.TrustedRecords;
import java.time.Instant;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Decodes raw records with {@link SentenceDecoder}; failures go to the {@link #DEAD_LETTERS} side output. */
public final class DecodeFunction extends ProcessFunction<RawRecord, Sentence> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(DecodeFunction.class);

  /** Side output of records that could not be used. */
  public static final OutputTag<DeadLetter> DEAD_LETTERS =
      new OutputTag<>("dead-letters", new AvroTypeInfo<>(DeadLetter.class));

  private transient SentenceDecoder decoder;
  private transient Counter deadLetters;
  private transient Counter recordsIn;

  @Override
  public void open(OpenContext context) {
    TrustedRecords.install();
    decoder = new SentenceDecoder();
    deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
    recordsIn = getRuntimeContext().getMetricGroup().counter("sentencesIn");
  }

  @Override
  public void processElement(RawRecord raw, Context ctx, Collector<Sentence> out) {
    recordsIn.inc();
    SentenceDecoder.Result result = decoder.decode(raw, Instant.now());
    if (result.sentence() != null) {
      out.collect(result.sentence());
    } else {
      deadLetters.inc();
      LOG.warn("Dead-lettering {}: {}", raw.position(), result.deadLetter().getError());
      ctx.output(DEAD_LETTERS, result.deadLetter());
    }
  }
}
