package io.twinstream.encoder.bridge;

/**
 * {@code y = normalise(x + B relu(A x + a) + c)}: the identity plus a low-rank two-layer network
 * ({@code rank} hidden units). {@code down} holds A by columns ({@code down[j * rank + h] =
 * A[h][j]}), {@code up} holds B by columns ({@code up[h * d + i] = B[i][h]}).
 */
public record ResidualMap(
    int dimension, int rank, float[] down, float[] downBias, float[] up, float[] upBias)
    implements VectorMap {

  public ResidualMap {
    if (dimension < 1 || rank < 1) {
      throw new IllegalArgumentException(
          "dimension and rank must be positive, got " + dimension + " and " + rank);
    }
    if (down.length != dimension * rank
        || up.length != dimension * rank
        || downBias.length != rank
        || upBias.length != dimension) {
      throw new IllegalArgumentException(
          "weights do not fit a residual map of dimension " + dimension + " and rank " + rank);
    }
  }

  @Override
  public float[] apply(float[] v) {
    if (v.length != dimension) {
      throw new IllegalArgumentException(
          "the map takes " + dimension + "-dimensional vectors, got " + v.length);
    }
    float[] hidden = hidden(v);
    float[] out = v.clone();
    addUp(hidden, out);
    return VectorMap.normalise(out);
  }

  /** {@code relu(A x + a)}. */
  float[] hidden(float[] x) {
    float[] h = downBias.clone();
    for (int j = 0; j < dimension; j++) {
      float xj = x[j];
      int at = j * rank;
      for (int k = 0; k < rank; k++) {
        h[k] += xj * down[at + k];
      }
    }
    for (int k = 0; k < rank; k++) {
      if (h[k] < 0) {
        h[k] = 0;
      }
    }
    return h;
  }

  /** {@code out += B h + c}. */
  void addUp(float[] h, float[] out) {
    for (int i = 0; i < dimension; i++) {
      out[i] += upBias[i];
    }
    for (int k = 0; k < rank; k++) {
      float hk = h[k];
      if (hk == 0) {
        continue;
      }
      int at = k * dimension;
      for (int i = 0; i < dimension; i++) {
        out[i] += hk * up[at + i];
      }
    }
  }

  /**
   * Adds to the four gradient arrays (laid out as the weights) the gradients of a loss whose
   * gradient with respect to {@code z = x + B h + c} is {@code dz}, where {@code h} is {@link
   * #hidden}{@code (x)}.
   */
  void backward(
      float[] x,
      float[] h,
      float[] dz,
      float[] gDown,
      float[] gDownBias,
      float[] gUp,
      float[] gUpBias) {
    int d = dimension;
    for (int i = 0; i < d; i++) {
      gUpBias[i] += dz[i];
    }
    float[] dh = new float[rank];
    for (int k = 0; k < rank; k++) {
      float hk = h[k];
      if (hk <= 0) {
        continue; // ReLU: no gradient through an inactive unit
      }
      int at = k * d;
      float back = 0;
      for (int i = 0; i < d; i++) {
        back += up[at + i] * dz[i];
        gUp[at + i] += hk * dz[i];
      }
      dh[k] = back;
      gDownBias[k] += back;
    }
    for (int j = 0; j < d; j++) {
      float xj = x[j];
      int at = j * rank;
      for (int k = 0; k < rank; k++) {
        gDown[at + k] += xj * dh[k];
      }
    }
  }
}
