package io.twinstream.embedder.operator;

import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.records.Embedding;
import io.twinstream.records.Sentence;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Embeds a batch of {@link Sentence}s with one encoder call and builds one {@link Embedding} per
 * sentence, in order, stamped with the encoder's model version. Plain Java: the Flink operator only
 * batches and emits.
 */
public final class BatchEmbedder {

  private final SentenceEncoder encoder;
  private final Clock clock;

  public BatchEmbedder(SentenceEncoder encoder) {
    this(encoder, Clock.systemUTC());
  }

  public BatchEmbedder(SentenceEncoder encoder, Clock clock) {
    this.encoder = Objects.requireNonNull(encoder, "encoder");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The model version every embedding of this embedder carries. */
  public String modelVersion() {
    return encoder.modelVersion();
  }

  /**
   * One embedding per sentence, in order; {@code embeddedAt} is when the batch's vectors were
   * ready.
   */
  public List<Embedding> embed(List<Sentence> batch) {
    List<String> texts = new ArrayList<>(batch.size());
    for (Sentence s : batch) {
      texts.add(s.getText());
    }
    List<SentenceEmbedding> vectors = encoder.encode(texts);
    Instant now = clock.instant();
    String version = encoder.modelVersion();
    List<Embedding> out = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      Sentence s = batch.get(i);
      SentenceEmbedding e = vectors.get(i);
      float[] v = e.vector();
      List<Float> vector = new ArrayList<>(v.length);
      for (float x : v) {
        vector.add(x);
      }
      out.add(
          Embedding.newBuilder()
              .setId(s.getId())
              .setModelVersion(version)
              .setVector(vector)
              .setTruncated(e.truncated())
              .setTokenCount(e.tokens())
              .setEventTime(s.getEventTime())
              .setEmbeddedAt(now)
              .setAttributes(s.getAttributes())
              .build());
    }
    return out;
  }
}
