package io.twinstream.encoder.bridge;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * Fits a {@link QueryBridge} from the newer version's vectors {@code x[i]} of some texts to the
 * older version's vectors {@code y[i]} of the same texts. Every tenth text is held out to measure
 * the fit ({@link BridgeFit}); the map is fitted on the others.
 *
 * @param method how
 * @param ridge least squares: the penalty on the weights, relative to the mean variance of the
 *     inputs (0.01)
 * @param rank residual: hidden units (64)
 * @param epochs residual: passes over the texts (20)
 * @param learningRate residual: Adam's step (1e-3)
 * @param seed residual: the initial weights and the order of texts
 */
public record BridgeFitter(
    BridgeMethod method, double ridge, int rank, int epochs, double learningRate, long seed) {

  /** Texts a fit needs at least: one held out of ten. */
  public static final int MIN_TEXTS = 20;

  public BridgeFitter {
    if (!(ridge >= 0) || rank < 1 || epochs < 1 || !(learningRate > 0)) {
      throw new IllegalArgumentException(
          "bridge fit needs ridge >= 0, rank >= 1, epochs >= 1, learning rate > 0; got "
              + ridge
              + ", "
              + rank
              + ", "
              + epochs
              + ", "
              + learningRate);
    }
  }

  /** {@code method} with the defaults above, seed 42. */
  public static BridgeFitter of(BridgeMethod method) {
    return new BridgeFitter(method, 0.01, 64, 20, 1e-3, 42);
  }

  /**
   * Fits the bridge from version {@code from}'s space into version {@code to}'s.
   *
   * @param x {@code from}'s vectors of the texts
   * @param y {@code to}'s vectors of the same texts, in the same order
   * @throws IllegalArgumentException when the two differ in count or dimension, or there are fewer
   *     than {@link #MIN_TEXTS}
   */
  public QueryBridge fit(String from, String to, float[][] x, float[][] y) {
    if (x.length != y.length) {
      throw new IllegalArgumentException(
          x.length + " vectors of " + from + " but " + y.length + " of " + to);
    }
    if (x.length < MIN_TEXTS) {
      throw new IllegalArgumentException(
          "a bridge needs at least "
              + MIN_TEXTS
              + " texts embedded by both versions, got "
              + x.length);
    }
    int d = x[0].length;
    for (int i = 0; i < x.length; i++) {
      if (x[i].length != d || y[i].length != d) {
        throw new IllegalArgumentException(
            "text "
                + i
                + ": vectors of "
                + x[i].length
                + " and "
                + y[i].length
                + " dimensions, expected "
                + d);
      }
    }
    long started = System.nanoTime();
    int held = x.length / 10;
    float[][] fitX = new float[x.length - held][];
    float[][] fitY = new float[x.length - held][];
    float[][] testX = new float[held][];
    float[][] testY = new float[held][];
    for (int i = 0, f = 0, t = 0; i < x.length; i++) {
      if (i % 10 == 9 && t < held) {
        testX[t] = x[i];
        testY[t++] = y[i];
      } else {
        fitX[f] = x[i];
        fitY[f++] = y[i];
      }
    }
    VectorMap map =
        switch (method) {
          case LEAST_SQUARES -> leastSquares(fitX, fitY);
          case PROCRUSTES -> procrustes(fitX, fitY);
          case RESIDUAL -> residual(fitX, fitY);
          case ADAPTER ->
              throw new IllegalArgumentException(
                  "an adapter is trained on feedback (AdapterTrainer), not fitted between versions");
        };
    double seconds = (System.nanoTime() - started) / 1e9;
    double cosine = 0;
    double identity = 0;
    for (int i = 0; i < held; i++) {
      cosine += cosine(map.apply(testX[i]), testY[i]);
      identity += cosine(testX[i], testY[i]);
    }
    BridgeFit fit = new BridgeFit(fitX.length, held, cosine / held, identity / held, seconds);
    return new QueryBridge(from, to, method, map, fit);
  }

  private LinearMap leastSquares(float[][] x, float[][] y) {
    int d = x[0].length;
    double[] mx = mean(x);
    double[] my = mean(y);
    DMatrixRMaj xc = centred(x, mx);
    DMatrixRMaj yc = centred(y, my);
    DMatrixRMaj gram = new DMatrixRMaj(d, d);
    CommonOps_DDRM.multTransA(xc, xc, gram);
    double trace = 0;
    for (int i = 0; i < d; i++) {
      trace += gram.get(i, i);
    }
    double lambda = Math.max(ridge * trace / d, 1e-9 * Math.max(trace / d, 1e-12));
    for (int i = 0; i < d; i++) {
      gram.add(i, i, lambda);
    }
    DMatrixRMaj cross = new DMatrixRMaj(d, d);
    CommonOps_DDRM.multTransA(xc, yc, cross);
    DMatrixRMaj w = new DMatrixRMaj(d, d); // y = wᵀ x: w[j][i] is column j of the map
    LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.symmPosDef(d);
    if (!solver.setA(gram)) {
      throw new IllegalStateException("least squares: the inputs' covariance is singular");
    }
    solver.solve(cross, w);
    float[] columns = new float[d * d];
    float[] bias = new float[d];
    for (int i = 0; i < d; i++) {
      double b = my[i];
      for (int j = 0; j < d; j++) {
        b -= w.get(j, i) * mx[j];
      }
      bias[i] = (float) b;
    }
    for (int j = 0; j < d; j++) {
      for (int i = 0; i < d; i++) {
        columns[j * d + i] = (float) w.get(j, i);
      }
    }
    return new LinearMap(d, columns, bias);
  }

  private static LinearMap procrustes(float[][] x, float[][] y) {
    int d = x[0].length;
    DMatrixRMaj cross = new DMatrixRMaj(d, d);
    CommonOps_DDRM.multTransA(matrix(x), matrix(y), cross);
    SingularValueDecomposition_F64<DMatrixRMaj> svd =
        DecompositionFactory_DDRM.svd(d, d, true, true, false);
    if (!svd.decompose(cross)) {
      throw new IllegalStateException("procrustes: the SVD did not converge");
    }
    DMatrixRMaj u = svd.getU(null, false);
    DMatrixRMaj vt = svd.getV(null, true);
    DMatrixRMaj omega = new DMatrixRMaj(d, d); // row vectors: y = x Ω, so y_i = Σ_j Ω[j][i] x_j
    CommonOps_DDRM.mult(u, vt, omega);
    float[] columns = new float[d * d];
    for (int j = 0; j < d; j++) {
      for (int i = 0; i < d; i++) {
        columns[j * d + i] = (float) omega.get(j, i);
      }
    }
    return new LinearMap(d, columns, new float[d]);
  }

  private ResidualMap residual(float[][] x, float[][] y) {
    int n = x.length;
    int d = x[0].length;
    int r = rank;
    Random random = new Random(seed);
    float[] down = new float[d * r];
    float scale = (float) Math.sqrt(2.0 / d);
    for (int i = 0; i < down.length; i++) {
      down[i] = (float) (random.nextGaussian() * scale);
    }
    float[] downBias = new float[r];
    float[] up = new float[d * r]; // zero: training starts from the identity
    float[] upBias = new float[d];
    ResidualMap map = new ResidualMap(d, r, down, downBias, up, upBias);
    Adam adam = new Adam(learningRate, down, downBias, up, upBias);
    float[] gDown = new float[down.length];
    float[] gDownBias = new float[r];
    float[] gUp = new float[up.length];
    float[] gUpBias = new float[d];
    int batch = 64;
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    float[] out = new float[d];
    for (int epoch = 0; epoch < epochs; epoch++) {
      shuffle(order, random);
      for (int start = 0; start < n; start += batch) {
        int end = Math.min(n, start + batch);
        java.util.Arrays.fill(gDown, 0);
        java.util.Arrays.fill(gDownBias, 0);
        java.util.Arrays.fill(gUp, 0);
        java.util.Arrays.fill(gUpBias, 0);
        float per = 2f / (end - start);
        for (int s = start; s < end; s++) {
          float[] xi = x[order[s]];
          float[] yi = y[order[s]];
          float[] h = map.hidden(xi);
          System.arraycopy(xi, 0, out, 0, d);
          map.addUp(h, out);
          for (int i = 0; i < d; i++) {
            out[i] = per * (out[i] - yi[i]); // dLoss/dout
          }
          map.backward(xi, h, out, gDown, gDownBias, gUp, gUpBias);
        }
        adam.step(gDown, gDownBias, gUp, gUpBias);
      }
    }
    return map;
  }

  private static void shuffle(int[] a, Random random) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  private static double[] mean(float[][] v) {
    double[] m = new double[v[0].length];
    for (float[] row : v) {
      for (int i = 0; i < m.length; i++) {
        m[i] += row[i];
      }
    }
    for (int i = 0; i < m.length; i++) {
      m[i] /= v.length;
    }
    return m;
  }

  private static DMatrixRMaj centred(float[][] v, double[] mean) {
    DMatrixRMaj out = new DMatrixRMaj(v.length, mean.length);
    for (int r = 0; r < v.length; r++) {
      for (int c = 0; c < mean.length; c++) {
        out.unsafe_set(r, c, v[r][c] - mean[c]);
      }
    }
    return out;
  }

  private static DMatrixRMaj matrix(float[][] v) {
    return centred(v, new double[v[0].length]);
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
  }
}
