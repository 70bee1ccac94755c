package io.twinstream.embedder.decode;

import io.twinstream.embedder.source.RawRecord;
import io.twinstream.records.FeedbackPair;
import io.twinstream.schemas.TrustedRecords;
import java.time.Instant;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Decodes feedback pairs with {@link FeedbackDecoder}; failures go to {@link DecodeFunction#DEAD_LETTERS}. */
public final class FeedbackDecodeFunction extends ProcessFunction<RawRecord, FeedbackPair> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(FeedbackDecodeFunction.class);

  private transient FeedbackDecoder decoder;
  private transient Counter deadLetters;
  private transient Counter recordsIn;

  @Override
  public void open(OpenContext context) {
    TrustedRecords.install();
    decoder = new FeedbackDecoder();
    deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
    recordsIn = getRuntimeContext().getMetricGroup().counter("feedbackIn");
  }

  @Override
  public void processElement(RawRecord raw, Context ctx, Collector<FeedbackPair> out) {
    recordsIn.inc();
    FeedbackDecoder.Result result = decoder.decode(raw, Instant.now());
    if (result.pair() != null) {
      out.collect(result.pair());
    } else {
      deadLetters.inc();
      LOG.warn("Dead-lettering {}: {}", raw.position(), result.deadLetter().getError());
      ctx.output(DecodeFunction.DEAD_LETTERS, result.deadLetter());
    }
  }
}
