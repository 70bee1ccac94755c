package io.twinstream.encoder;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * How token vectors become one sentence vector. Only positions with attention mask 1 take part, so
 * a sentence's vector does not depend on how much padding its batch needed.
 */
public enum PoolingMode {
  /** Average of the token vectors (sentence-transformers' {@code pooling_mode_mean_tokens}). */
  MEAN("mean"),
  /** The first token's vector ({@code [CLS]}; {@code pooling_mode_cls_token}). */
  CLS("cls"),
  /** Per-dimension maximum over the tokens ({@code pooling_mode_max_tokens}). */
  MAX("max");

  private final String configName;

  PoolingMode(String configName) {
    this.configName = configName;
  }

  /** The lower-case name used in manifests and on the command line. */
  public String configName() {
    return configName;
  }

  /** Parses {@code mean}, {@code cls} or {@code max} (case-insensitive). */
  public static PoolingMode fromConfigName(String name) {
    for (PoolingMode mode : values()) {
      if (mode.configName.equalsIgnoreCase(name.trim())) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "Unknown pooling mode '"
            + name
            + "': expected one of "
            + Arrays.stream(values()).map(PoolingMode::configName).toList());
  }

  /**
   * Pools one sequence of a {@code [batch, seqLen, hidden]} tensor into {@code out}.
   *
   * @param hidden the token vectors, row-major
   * @param row the sequence's index in the batch
   * @param seqLen the padded sequence length of the batch
   * @param realTokens how many leading positions are real tokens (attention mask 1); the rest is
   *     padding
   * @param out receives {@code hidden} values
   */
  void pool(FloatBuffer hidden, int row, int seqLen, int realTokens, float[] out) {
    int dim = out.length;
    int base = row * seqLen * dim;
    switch (this) {
      case CLS -> hidden.get(base, out, 0, dim);
      case MEAN -> {
        // Accumulate in double: the reference (PyTorch, sum then divide) is float, but double keeps
        // the
        // result independent of summation order, which is what makes batched and single results
        // agree.
        double[] sum = new double[dim];
        for (int t = 0; t < realTokens; t++) {
          int off = base + t * dim;
          for (int d = 0; d < dim; d++) {
            sum[d] += hidden.get(off + d);
          }
        }
        for (int d = 0; d < dim; d++) {
          out[d] = (float) (sum[d] / realTokens);
        }
      }
      case MAX -> {
        Arrays.fill(out, Float.NEGATIVE_INFINITY);
        for (int t = 0; t < realTokens; t++) {
          int off = base + t * dim;
          for (int d = 0; d < dim; d++) {
            out[d] = Math.max(out[d], hidden.get(off + d));
          }
        }
      }
      default -> throw new IllegalStateException("unhandled pooling mode " + this);
    }
  }

  /** Scales {@code v} to unit L2 norm in place (a zero vector stays zero). */
  static void normalize(float[] v) {
    double sumSq = 0;
    for (float x : v) {
      sumSq += (double) x * x;
    }
    double norm = Math.sqrt(sumSq);
    if (norm > 0) {
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (v[i] / norm);
      }
    }
  }
}
