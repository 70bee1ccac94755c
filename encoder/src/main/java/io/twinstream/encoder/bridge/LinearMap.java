package io.twinstream.encoder.bridge;

/**
 * {@code y = normalise(W x + b)}: an affine map (least squares) or a rotation ({@code b = 0}, W
 * orthogonal: Procrustes). {@code columns} holds W by columns — {@code columns[j * d + i] =
 * W[i][j]} — so that applying it adds scaled columns, a loop the JIT vectorises.
 */
public record LinearMap(int dimension, float[] columns, float[] bias) implements VectorMap {

  public LinearMap {
    if (dimension < 1) {
      throw new IllegalArgumentException("dimension must be positive, got " + dimension);
    }
    if (columns.length != dimension * dimension) {
      throw new IllegalArgumentException(
          "a "
              + dimension
              + "-dimensional map has "
              + dimension * dimension
              + " weights, got "
              + columns.length);
    }
    if (bias.length != dimension) {
      throw new IllegalArgumentException(
          "bias has " + bias.length + " values, the map " + dimension + " dimensions");
    }
  }

  @Override
  public float[] apply(float[] v) {
    int d = dimension;
    if (v.length != d) {
      throw new IllegalArgumentException(
          "the map takes " + d + "-dimensional vectors, got " + v.length);
    }
    float[] out = bias.clone();
    for (int j = 0; j < d; j++) {
      float x = v[j];
      int at = j * d;
      for (int i = 0; i < d; i++) {
        out[i] += x * columns[at + i];
      }
    }
    return VectorMap.normalise(out);
  }
}
