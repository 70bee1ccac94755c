package io.twinstream.trainer.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Anything that turns texts into sentence vectors, in order: the serving {@code
 * SentenceEncoder::embed} or the training {@code TwinEncoder::encode}.
 */
@FunctionalInterface
public interface Embedder {

  /** One vector per text, in the order of {@code texts}. */
  float[][] embed(List<String> texts);

  /**
   * Embeds {@code texts} in slices of {@code batchSize}, telling {@code progress} how many are done
   * after each.
   */
  default float[][] embedAll(List<String> texts, int batchSize, IntConsumer progress) {
    List<float[]> out = new ArrayList<>(texts.size());
    for (int start = 0; start < texts.size(); start += batchSize) {
      float[][] slice = embed(texts.subList(start, Math.min(texts.size(), start + batchSize)));
      out.addAll(List.of(slice));
      progress.accept(out.size());
    }
    return out.toArray(new float[0][]);
  }

  /** Cosine similarity of two vectors. */
  static double cosine(float[] a, float[] b) {
    double ab = 0;
    double aa = 0;
    double bb = 0;
    for (int i = 0; i < a.length; i++) {
      ab += a[i] * b[i];
      aa += a[i] * a[i];
      bb += b[i] * b[i];
    }
    return aa == 0 || bb == 0 ? 0 : ab / Math.sqrt(aa * bb);
  }
}
