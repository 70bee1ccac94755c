package io.twinstream.trainer.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every loss against values worked out by hand on tiny inputs, and its autograd gradient against
 * central finite differences of an independent double-precision implementation written here.
 */
class LossTest {

  private static NDManager manager;

  @BeforeAll
  static void engine() {
    manager = Engine.getEngine("PyTorch").newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /** Loss value and gradients of anchors, positives, negatives from DJL's autograd. */
  private record Result(double loss, double[][] gradA, double[][] gradP, double[][] gradN) {}

  private static Result autograd(
      Loss loss, double[][] a, double[][] p, double[][] n, float[] labels) {
    return autograd(loss, a, p, n, labels, null);
  }

  private static Result autograd(
      Loss loss, double[][] a, double[][] p, double[][] n, float[] labels, float[] weights) {
    try (NDManager m = manager.newSubManager()) {
      NDArray aa = array(m, a);
      NDArray pp = array(m, p);
      NDArray nn = n == null ? null : array(m, n);
      aa.setRequiresGradient(true);
      pp.setRequiresGradient(true);
      if (nn != null) {
        nn.setRequiresGradient(true);
      }
      try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray value = loss.compute(m, new BatchEmbeddings(aa, pp, nn, labels, weights));
        System.gc(); // the constants of the graph must survive a collection before backward
        collector.backward(value);
        return new Result(
            value.getFloat(),
            rows(aa.getGradient(), a.length),
            rows(pp.getGradient(), p.length),
            nn == null ? null : rows(nn.getGradient(), n.length));
      }
    }
  }

  private static NDArray array(NDManager m, double[][] x) {
    float[] flat = new float[x.length * x[0].length];
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[0].length; j++) {
        flat[i * x[0].length + j] = (float) x[i][j];
      }
    }
    return m.create(flat, new Shape(x.length, x[0].length));
  }

  private static double[][] rows(NDArray g, int n) {
    float[] flat = g.toFloatArray();
    int d = flat.length / n;
    double[][] out = new double[n][d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        out[i][j] = flat[i * d + j];
      }
    }
    return out;
  }

  // ---- hand-computed values
  // -------------------------------------------------------------------------------

  @Test
  void mnrlOnOrthogonalPairsIsLogOnePlusExpMinusScale() {
    double[][] a = {{1, 0}, {0, 1}};
    double[][] p = {{1, 0}, {0, 1}};
    Result r = autograd(new MultipleNegativesRankingLoss(1f, false), a, p, null, null);
    // Each row: scores [1, 0], loss log(1 + e^-1); gradient of anchor 1 only along the other
    // positive,
    // (softmax(0) - 0) / 2 = 1 / (2 (1 + e)).
    assertEquals(Math.log1p(Math.exp(-1)), r.loss(), 1e-6);
    assertArrayEquals(new double[] {0, 1 / (2 * (1 + Math.E))}, r.gradA()[0], 1e-6);
  }

  @Test
  void mnrlHardNegativeJoinsTheCandidates() {
    double[][] a = {{1, 0}, {0, 1}};
    double[][] p = {{1, 0}, {0, 1}};
    double[][] n = {{1, 0}, {1, 0}}; // a hard negative identical to anchor 1
    Result r = autograd(new MultipleNegativesRankingLoss(1f, false), a, p, n, null);
    // Row 1 scores [1, 0, 1, 1]: -log(e / (3e + 1)); row 2 scores [0, 1, 0, 0]: -log(e / (e + 3)).
    double expected = (Math.log((3 * Math.E + 1) / Math.E) + Math.log((Math.E + 3) / Math.E)) / 2;
    assertEquals(expected, r.loss(), 1e-6);
  }

  @Test
  void contrastivePullsPositivesAndPushesNegativesInsideTheMargin() {
    double s = Math.sqrt(0.5);
    Result positive =
        autograd(
            new ContrastiveLoss(0.5f),
            new double[][] {{1, 0}},
            new double[][] {{0, 1}},
            null,
            new float[] {1});
    assertEquals(0.5, positive.loss(), 1e-6); // d = 1, 0.5 * d²
    Result negative =
        autograd(
            new ContrastiveLoss(0.5f),
            new double[][] {{1, 0}},
            new double[][] {{s, s}},
            null,
            new float[] {0});
    double gap = 0.5 - (1 - s);
    assertEquals(0.5 * gap * gap, negative.loss(), 1e-6);
    Result farNegative =
        autograd(
            new ContrastiveLoss(0.5f),
            new double[][] {{1, 0}},
            new double[][] {{0, 1}},
            null,
            new float[] {0});
    assertEquals(0, farNegative.loss(), 1e-7);
  }

  @Test
  void onlineContrastiveSumsOnlyTheHardPairs() {
    double s = Math.sqrt(0.5);
    // Distances: positives 0 and 1 - s (0.29); negatives 1 - s (0.29) and 1.
    double[][] a = {{1, 0}, {1, 0}, {1, 0}, {1, 0}};
    double[][] p = {{1, 0}, {s, s}, {s, s}, {0, 1}};
    float[] labels = {1, 1, 0, 0};
    Result r = autograd(new OnlineContrastiveLoss(0.5f), a, p, null, labels);
    // Hard positives: d > min negative distance (0.29) -> none. Hard negatives: d < max positive
    // (0.29) -> none.
    assertEquals(0, r.loss(), 1e-7);
    // Make the first positive far: now it is hard (1 > 0.29), and the near negative is hard (0.29 <
    // 1).
    p[0] = new double[] {0, 1};
    Result r2 = autograd(new OnlineContrastiveLoss(0.5f), a, p, null, labels);
    double gap = 0.5 - (1 - s);
    assertEquals(1.0 + gap * gap, r2.loss(), 1e-6);
  }

  @Test
  void tripletIsDistanceGapPlusMargin() {
    Result r =
        autograd(
            new TripletLoss(5f, TripletLoss.Distance.EUCLIDEAN, false),
            new double[][] {{0, 0}},
            new double[][] {{3, 4}},
            new double[][] {{0, 1}},
            null);
    assertEquals(5 - 1 + 5, r.loss(), 1e-5);
    assertArrayEquals(new double[] {0, -1}, r.gradN()[0], 1e-5); // moving the negative away helps
    assertArrayEquals(new double[] {0.6, 0.8}, r.gradP()[0], 1e-5);
  }

  @Test
  void batchHardTripletPicksTheClosestOtherPositive() {
    double[][] a = {{0, 0}, {10, 0}, {0, 3}};
    double[][] p = {{1, 0}, {10, 1}, {0, 5}};
    // Anchor 0: d(a,p) = 1, closest other positive is (0,5) at 5 -> max(0, 1 - 5 + 2) = 0.
    // Anchor 1: d = 1, closest other positive (1,0) at 9 -> 0.  Anchor 2: d = 2, closest other
    // (1,0) at sqrt(10).
    Result r =
        autograd(new TripletLoss(2f, TripletLoss.Distance.EUCLIDEAN, true), a, p, null, null);
    assertEquals(Math.max(0, 2 - Math.sqrt(10) + 2) / 3, r.loss(), 1e-5);
  }

  @Test
  void cosentPenalisesOnlyInvertedOrder() {
    double[][] a = {{1, 0}, {1, 0}};
    double[][] p = {{1, 0}, {0, 1}};
    // cos = [1, 0]; label 0 < label 1 but cos_0 > cos_1: log(1 + e^(1 * (1 - 0))).
    Result inverted = autograd(new CoSentLoss(1f), a, p, null, new float[] {0, 1});
    assertEquals(Math.log1p(Math.E), inverted.loss(), 1e-6);
    Result ordered = autograd(new CoSentLoss(1f), a, p, null, new float[] {1, 0});
    assertEquals(Math.log1p(Math.exp(-1)), ordered.loss(), 1e-6);
    Result tied = autograd(new CoSentLoss(1f), a, p, null, new float[] {0.5f, 0.5f});
    assertEquals(0, tied.loss(), 1e-7); // no ordered pair: log(1 + 0)
  }

  @Test
  void lossesRefuseBatchesWithoutWhatTheyNeed() {
    double[][] x = {{1, 0}};
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> autograd(new CoSentLoss(), x, x, null, null));
    assertEquals("cosent needs a label per example", e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> autograd(new TripletLoss(), x, x, null, null));
    assertThrows(IllegalArgumentException.class, () -> Losses.byName("mse"));
  }

  // ---- gradients against finite differences
  // ---------------------------------------------------------------

  @Test
  void mnrlGradientsMatchFiniteDifferences() {
    checkGradients(new MultipleNegativesRankingLoss(), false, null, (x) -> mnrl(x, 20, false));
    checkGradients(new MultipleNegativesRankingLoss(), true, null, (x) -> mnrl(x, 20, false));
    checkGradients(
        new MultipleNegativesRankingLoss(20f, true), true, null, (x) -> mnrl(x, 20, true));
  }

  @Test
  void contrastiveGradientsMatchFiniteDifferences() {
    float[] labels = {1, 0, 1, 0, 0, 1};
    checkGradients(
        new ContrastiveLoss(0.9f), false, labels, x -> contrastive(x, labels, 0.9, false));
    checkGradients(
        new OnlineContrastiveLoss(0.9f), false, labels, x -> contrastive(x, labels, 0.9, true));
  }

  @Test
  void tripletGradientsMatchFiniteDifferences() {
    checkGradients(
        new TripletLoss(5f, TripletLoss.Distance.EUCLIDEAN, false),
        true,
        null,
        x -> triplet(x, 5, false, false));
    checkGradients(
        new TripletLoss(0.3f, TripletLoss.Distance.COSINE, false),
        true,
        null,
        x -> triplet(x, 0.3, true, false));
    checkGradients(
        new TripletLoss(3f, TripletLoss.Distance.EUCLIDEAN, true),
        true,
        null,
        x -> triplet(x, 3, false, true));
  }

  @Test
  void cosentGradientsMatchFiniteDifferences() {
    float[] labels = {0.1f, 0.9f, 0.5f, 0.5f, 0.3f, 1.0f};
    checkGradients(new CoSentLoss(), false, labels, x -> cosent(x, labels, 20));
  }

  @Test
  void everyLossTakesTheWeightedMeanOfItsExamplesAndItsGradient() {
    float[] w = {3f, 1f, 0.5f, 2f, 1f, 0.25f};
    float[] binary = {1, 0, 1, 0, 0, 1};
    float[] graded = {0.1f, 0.9f, 0.5f, 0.5f, 0.3f, 1.0f};
    checkGradients(new MultipleNegativesRankingLoss(), true, null, w, x -> mnrl(x, 20, false, w));
    checkGradients(
        new MultipleNegativesRankingLoss(20f, true), true, null, w, x -> mnrl(x, 20, true, w));
    checkGradients(
        new ContrastiveLoss(0.9f), false, binary, w, x -> contrastive(x, binary, 0.9, false, w));
    checkGradients(
        new OnlineContrastiveLoss(0.9f),
        false,
        binary,
        w,
        x -> contrastive(x, binary, 0.9, true, w));
    checkGradients(
        new TripletLoss(5f, TripletLoss.Distance.EUCLIDEAN, false),
        true,
        null,
        w,
        x -> triplet(x, 5, false, false, w));
    checkGradients(new CoSentLoss(), false, graded, w, x -> cosent(x, graded, 20, w));
  }

  @Test
  void equalWeightsChangeNothing() {
    Random random = new Random(3);
    double[][][] x = new double[3][6][5];
    for (double[][] column : x) {
      for (double[] row : column) {
        for (int j = 0; j < row.length; j++) {
          row[j] = random.nextGaussian();
        }
      }
    }
    float[] twos = {2, 2, 2, 2, 2, 2};
    Loss mnrl = new MultipleNegativesRankingLoss();
    assertEquals(
        autograd(mnrl, x[0], x[1], x[2], null).loss(),
        autograd(mnrl, x[0], x[1], x[2], null, twos).loss(),
        1e-6);
  }

  /** Columns: anchors, positives, negatives (possibly null). */
  private static void checkGradients(
      Loss loss, boolean negatives, float[] labels, ToDoubleFunction<double[][][]> reference) {
    checkGradients(loss, negatives, labels, null, reference);
  }

  private static void checkGradients(
      Loss loss,
      boolean negatives,
      float[] labels,
      float[] weights,
      ToDoubleFunction<double[][][]> reference) {
    Random random = new Random(7);
    int n = 6;
    int d = 5;
    double[][][] x = new double[negatives ? 3 : 2][n][d];
    for (double[][] column : x) {
      for (double[] row : column) {
        for (int j = 0; j < d; j++) {
          row[j] = random.nextGaussian();
        }
      }
    }
    Result r = autograd(loss, x[0], x[1], negatives ? x[2] : null, labels, weights);
    assertEquals(
        reference.applyAsDouble(x),
        r.loss(),
        1e-4 * Math.max(1, Math.abs(r.loss())),
        loss + " value");
    double[][][] grads = {r.gradA(), r.gradP(), r.gradN()};
    double h = 1e-6;
    for (int c = 0; c < x.length; c++) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++) {
          double keep = x[c][i][j];
          x[c][i][j] = keep + h;
          double up = reference.applyAsDouble(x);
          x[c][i][j] = keep - h;
          double down = reference.applyAsDouble(x);
          x[c][i][j] = keep;
          double numeric = (up - down) / (2 * h);
          assertEquals(
              numeric,
              grads[c][i][j],
              2e-4 * Math.max(1, Math.abs(numeric)),
              loss + " d/d column " + c + " [" + i + "][" + j + "]");
        }
      }
    }
  }

  // ---- independent double-precision references
  // -------------------------------------------------------------

  private static double cos(double[] u, double[] v) {
    double uv = 0;
    double uu = 0;
    double vv = 0;
    for (int i = 0; i < u.length; i++) {
      uv += u[i] * v[i];
      uu += u[i] * u[i];
      vv += v[i] * v[i];
    }
    return uv / Math.sqrt(uu * vv);
  }

  private static double euclid(double[] u, double[] v) {
    double s = 0;
    for (int i = 0; i < u.length; i++) {
      s += (u[i] - v[i]) * (u[i] - v[i]);
    }
    return Math.sqrt(s);
  }

  private static double crossEntropy(double[] scores, int target) {
    double max = Double.NEGATIVE_INFINITY;
    for (double s : scores) {
      max = Math.max(max, s);
    }
    double sum = 0;
    for (double s : scores) {
      sum += Math.exp(s - max);
    }
    return max + Math.log(sum) - scores[target];
  }

  private static double mnrl(double[][][] x, double scale, boolean symmetric) {
    return mnrl(x, scale, symmetric, null);
  }

  /** Weight of example {@code i}: 1 without weights. */
  private static double w(float[] weights, int i) {
    return weights == null ? 1 : weights[i];
  }

  private static double total(float[] weights, int n) {
    double t = 0;
    for (int i = 0; i < n; i++) {
      t += w(weights, i);
    }
    return t;
  }

  private static double mnrl(double[][][] x, double scale, boolean symmetric, float[] weights) {
    double[][] a = x[0];
    double[][] p = x[1];
    int n = a.length;
    int candidates = n * (x.length == 3 ? 2 : 1);
    double forward = 0;
    double backward = 0;
    for (int i = 0; i < n; i++) {
      double[] s = new double[candidates];
      for (int j = 0; j < candidates; j++) {
        s[j] = scale * cos(a[i], j < n ? p[j] : x[2][j - n]);
      }
      forward += w(weights, i) * crossEntropy(s, i);
      double[] t = new double[n];
      for (int j = 0; j < n; j++) {
        t[j] = scale * cos(a[j], p[i]);
      }
      backward += w(weights, i) * crossEntropy(t, i);
    }
    double t = total(weights, n);
    return symmetric ? (forward + backward) / (2 * t) : forward / t;
  }

  private static double contrastive(double[][][] x, float[] labels, double margin, boolean online) {
    return contrastive(x, labels, margin, online, null);
  }

  private static double contrastive(
      double[][][] x, float[] labels, double margin, boolean online, float[] weights) {
    int n = labels.length;
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = 1 - cos(x[0][i], x[1][i]);
    }
    if (!online) {
      double sum = 0;
      for (int i = 0; i < n; i++) {
        double gap = Math.max(0, margin - d[i]);
        sum += w(weights, i) * 0.5 * (labels[i] * d[i] * d[i] + (1 - labels[i]) * gap * gap);
      }
      return sum / total(weights, n);
    }
    double posMax = Double.NEGATIVE_INFINITY;
    double negMin = Double.POSITIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      if (labels[i] == 1) {
        posMax = Math.max(posMax, d[i]);
      } else {
        negMin = Math.min(negMin, d[i]);
      }
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
      if (labels[i] == 1 && d[i] > negMin) {
        sum += w(weights, i) * d[i] * d[i];
      } else if (labels[i] == 0 && d[i] < posMax) {
        double gap = Math.max(0, margin - d[i]);
        sum += w(weights, i) * gap * gap;
      }
    }
    return sum;
  }

  private static double triplet(double[][][] x, double margin, boolean cosine, boolean batchHard) {
    return triplet(x, margin, cosine, batchHard, null);
  }

  private static double triplet(
      double[][][] x, double margin, boolean cosine, boolean batchHard, float[] weights) {
    int n = x[0].length;
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double[] a = x[0][i];
      double dap = cosine ? 1 - cos(a, x[1][i]) : euclid(a, x[1][i]);
      double dan;
      if (!batchHard) {
        dan = cosine ? 1 - cos(a, x[2][i]) : euclid(a, x[2][i]);
      } else {
        dan = Double.POSITIVE_INFINITY;
        for (int j = 0; j < n; j++) {
          if (j != i) {
            dan = Math.min(dan, euclid(a, x[1][j]));
          }
          dan = Math.min(dan, euclid(a, x[2][j]));
        }
      }
      sum += w(weights, i) * Math.max(0, dap - dan + margin);
    }
    return sum / total(weights, n);
  }

  private static double cosent(double[][][] x, float[] labels, double scale) {
    return cosent(x, labels, scale, null);
  }

  private static double cosent(double[][][] x, float[] labels, double scale, float[] weights) {
    int n = labels.length;
    double[] s = new double[n];
    for (int i = 0; i < n; i++) {
      s[i] = scale * cos(x[0][i], x[1][i]);
    }
    double sum = 1;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (labels[i] < labels[j]) {
          sum += w(weights, i) * w(weights, j) * Math.exp(s[i] - s[j]);
        }
      }
    }
    return Math.log(sum);
  }
}
