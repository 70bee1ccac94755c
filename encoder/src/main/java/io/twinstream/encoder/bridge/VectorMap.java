package io.twinstream.encoder.bridge;

/** A map between two vector spaces of the same dimension; its outputs have unit length. */
public sealed interface VectorMap permits LinearMap, ResidualMap {

  /** Dimensions in and out. */
  int dimension();

  /**
   * The image of {@code v}, normalised to unit length (cosine search).
   *
   * @throws IllegalArgumentException when {@code v} has another dimension
   */
  float[] apply(float[] v);

  /** Scales {@code v} to unit length in place and returns it (a zero vector stays zero). */
  static float[] normalise(float[] v) {
    double norm = 0;
    for (float x : v) {
      norm += x * x;
    }
    if (norm > 0) {
      float scale = (float) (1 / Math.sqrt(norm));
      for (int i = 0; i < v.length; i++) {
        v[i] *= scale;
      }
    }
    return v;
  }
}
