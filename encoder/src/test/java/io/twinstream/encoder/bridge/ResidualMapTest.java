package io.twinstream.encoder.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ResidualMapTest {

  /** {@code w · (x + B relu(A x + a) + c)}: a loss whose gradient with respect to z is w. */
  private static double loss(ResidualMap m, float[] x, float[] w) {
    float[] z = x.clone();
    m.addUp(m.hidden(x), z);
    double s = 0;
    for (int i = 0; i < z.length; i++) {
      s += w[i] * z[i];
    }
    return s;
  }

  @Test
  void backwardGivesTheGradientsFiniteDifferencesMeasure() {
    int d = 6;
    int r = 4;
    Random random = new Random(3);
    float[][] weights = new float[4][];
    int[] sizes = {d * r, r, d * r, d};
    for (int p = 0; p < 4; p++) {
      weights[p] = new float[sizes[p]];
      for (int i = 0; i < sizes[p]; i++) {
        weights[p][i] = (float) random.nextGaussian() * 0.5f;
      }
    }
    ResidualMap m = new ResidualMap(d, r, weights[0], weights[1], weights[2], weights[3]);
    float[] x = new float[d];
    float[] w = new float[d];
    for (int i = 0; i < d; i++) {
      x[i] = (float) random.nextGaussian();
      w[i] = (float) random.nextGaussian();
    }
    float[][] grads = {new float[d * r], new float[r], new float[d * r], new float[d]};
    m.backward(x, m.hidden(x), w, grads[0], grads[1], grads[2], grads[3]);
    float eps = 1e-3f;
    for (int p = 0; p < 4; p++) {
      for (int i = 0; i < sizes[p]; i++) {
        float kept = weights[p][i];
        weights[p][i] = kept + eps;
        double up = loss(m, x, w);
        weights[p][i] = kept - eps;
        double down = loss(m, x, w);
        weights[p][i] = kept;
        assertEquals((up - down) / (2 * eps), grads[p][i], 2e-3, "weight " + p + "/" + i);
      }
    }
  }
}
