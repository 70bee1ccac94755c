package io.twinstream.embedder.decode;

import io.twinstream.embedder.source.RawRecord;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.RecordDecodeException;
import io.twinstream.schemas.TrustedRecords;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes {@code model-updates} records of one registry (record key = registry name); records of other
 * registries are skipped, undecodable ones go to {@link DecodeFunction#DEAD_LETTERS}.
 */
public final class ModelUpdateDecodeFunction extends ProcessFunction<RawRecord, ModelUpdate> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ModelUpdateDecodeFunction.class);

  private final String registryName;
  private transient AvroCodec<ModelUpdate> codec;

  public ModelUpdateDecodeFunction(String registryName) {
    this.registryName = registryName;
  }

  @Override
  public void open(OpenContext context) {
    TrustedRecords.install();
    codec = AvroCodec.of(ModelUpdate.class);
  }

  @Override
  public void processElement(RawRecord raw, Context ctx, Collector<ModelUpdate> out) {
    String key = raw.key == null ? "" : new String(raw.key, StandardCharsets.UTF_8);
    if (!registryName.equals(key)) {
      return;
    }
    try {
      out.collect(codec.decode(raw.value));
    } catch (RecordDecodeException e) {
      LOG.warn("Dead-lettering model update {}: {}", raw.position(), e.getMessage());
      ctx.output(DecodeFunction.DEAD_LETTERS,
          DeadLetters.of(raw, e.getMessage(), "decode-model-update", Instant.now()));
    }
  }
}
