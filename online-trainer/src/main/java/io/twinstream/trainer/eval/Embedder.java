package io.twinstream.trainer.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
   * after each; the vectors come back in the order of {@code texts}. The slices are cut from the
   * texts sorted by length, so that each slice's texts pad to about the same length: on a corpus of
   * paragraphs of 20-650 words this embeds 1.5x faster than slices in corpus order
   * (docs/benchmarks.md §9).
   */
  default float[][] embedAll(List<String> texts, int batchSize, IntConsumer progress) {
    Integer[] order = new Integer[texts.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(i -> texts.get(i).length()));
    float[][] out = new float[texts.size()][];
    int done = 0;
    for (int start = 0; start < order.length; start += batchSize) {
      int end = Math.min(order.length, start + batchSize);
      List<String> slice = new ArrayList<>(end - start);
      for (int i = start; i < end; i++) {
        slice.add(texts.get(order[i]));
      }
      float[][] vectors = embed(slice);
      for (int i = start; i < end; i++) {
        out[order[i]] = vectors[i - start];
      }
      done = end;
      progress.accept(done);
    }
    return out;
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
