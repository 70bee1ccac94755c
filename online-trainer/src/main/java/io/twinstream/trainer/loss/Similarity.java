package io.twinstream.trainer.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** Cosine similarity and distances written with manager-owned constants only (see {@link Loss}). */
final class Similarity {

  private Similarity() {}

  /** Rows scaled to unit length. */
  static NDArray normalize(NDManager m, NDArray x) {
    return x.div(x.norm(new int[] {1}, true).maximum(m.create(1e-12f)));
  }

  /** {@code [rows(a), rows(b)]} cosine similarities. */
  static NDArray cosineMatrix(NDManager m, NDArray a, NDArray b) {
    return normalize(m, a).matMul(normalize(m, b).transpose());
  }

  /**
   * {@code [rows]} cosine similarity of row {@code i} of {@code a} with row {@code i} of {@code b}.
   */
  static NDArray pairCosine(NDManager m, NDArray a, NDArray b) {
    return normalize(m, a).mul(normalize(m, b)).sum(new int[] {1});
  }

  /**
   * {@code [rows]} Euclidean distance of row pairs; a tiny epsilon under the root keeps its
   * gradient finite.
   */
  static NDArray pairEuclidean(NDManager m, NDArray a, NDArray b) {
    NDArray d = a.sub(b);
    return d.mul(d).sum(new int[] {1}).add(m.create(1e-12f)).sqrt();
  }

  /** {@code [rows(a), rows(b)]} Euclidean distances. */
  static NDArray euclideanMatrix(NDManager m, NDArray a, NDArray b) {
    NDArray aa = a.mul(a).sum(new int[] {1}, true); // [n, 1]
    NDArray bb = b.mul(b).sum(new int[] {1}, true).transpose(); // [1, k]
    NDArray sq = aa.add(bb).sub(a.matMul(b.transpose()).mul(m.create(2f)));
    return sq.maximum(m.create(0f)).add(m.create(1e-12f)).sqrt();
  }

  /** The diagonal {@code [n]} of a {@code [n, k]} matrix ({@code n <= k}). */
  static NDArray diagonal(NDManager m, NDArray x) {
    long n = x.getShape().get(0);
    long k = x.getShape().get(1);
    NDArray eye = m.eye((int) n, (int) k, 0, x.getDataType());
    return x.mul(eye).sum(new int[] {1});
  }
}
