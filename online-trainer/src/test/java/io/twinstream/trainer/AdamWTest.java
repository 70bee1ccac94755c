package io.twinstream.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AdamWTest {

  private static final int ROWS = 40;
  private static final int COLS = 6;

  /** Gives {@code p} the gradient {@code grad} (as if the loss were sum(p * grad)). */
  private static void setGradient(NDManager m, NDArray p, float[] grad) {
    try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector();
        NDManager step = m.newSubManager()) {
      NDArray g = step.create(grad, p.getShape());
      c.backward(g.mul(p).sum());
    }
  }

  @Test
  void denseUpdatesFollowTorchAdamW() {
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      float[] w0 = {0.5f, -1.0f, 2.0f};
      NDArray p = m.create(w0.clone());
      p.setRequiresGradient(true);
      Map<String, NDArray> params = new LinkedHashMap<>(Map.of("layer.weight", p));
      AdamW adam = new AdamW(params, 0.1);
      double[] w = {0.5, -1.0, 2.0};
      double[] mom = new double[3];
      double[] vel = new double[3];
      float[][] grads = {{0.1f, -0.2f, 0.3f}, {1f, 0f, -1f}, {0.05f, 0.05f, 0.05f}};
      double lr = 0.01;
      for (int t = 1; t <= grads.length; t++) {
        setGradient(m, p, grads[t - 1]);
        try (NDManager scratch = m.newSubManager()) {
          adam.step(params, scratch, lr, 0.5);
        }
        JniUtils.zeroGrad((PtNDArray) p);
        // torch.optim.AdamW, with the gradient scaled by 0.5 (clipping) first.
        for (int i = 0; i < 3; i++) {
          double g = grads[t - 1][i] * 0.5;
          w[i] *= 1 - lr * 0.1;
          mom[i] = 0.9 * mom[i] + 0.1 * g;
          vel[i] = 0.999 * vel[i] + 0.001 * g * g;
          double denom = Math.sqrt(vel[i]) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-6;
          w[i] -= lr / (1 - Math.pow(0.9, t)) * mom[i] / denom;
        }
        float[] actual = p.toFloatArray();
        for (int i = 0; i < 3; i++) {
          assertEquals(w[i], actual[i], 1e-6, "step " + t + " weight " + i);
        }
      }
    }
  }

  @Test
  void baseDecayPullsEveryWeightBackTowardWhereTrainingStarted() {
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      float[] w0 = {0.5f, -1.0f, 2.0f};
      NDArray p = m.create(w0.clone());
      p.setRequiresGradient(true);
      NDArray q = m.create(w0.clone());
      q.setRequiresGradient(true);
      Map<String, NDArray> anchored = new LinkedHashMap<>(Map.of("layer.weight", p));
      Map<String, NDArray> free = new LinkedHashMap<>(Map.of("layer.weight", q));
      AdamW withBase = new AdamW(anchored, 0.0, Set.of(), 5.0);
      AdamW without = new AdamW(free, 0.0);
      double lr = 0.05;
      double[] w = {0.5, -1.0, 2.0};
      double[] mom = new double[3];
      double[] vel = new double[3];
      for (int t = 1; t <= 20; t++) {
        float[] grad = {1f, -1f, 0.5f}; // always the same direction: drift grows every step
        setGradient(m, p, grad);
        setGradient(m, q, grad);
        try (NDManager scratch = m.newSubManager()) {
          withBase.step(anchored, scratch, lr, 1.0);
          without.step(free, scratch, lr, 1.0);
        }
        JniUtils.zeroGrad((PtNDArray) p);
        JniUtils.zeroGrad((PtNDArray) q);
        for (int i = 0; i < 3; i++) {
          w[i] -= lr * 5.0 * (w[i] - w0[i]);
          mom[i] = 0.9 * mom[i] + 0.1 * grad[i];
          vel[i] = 0.999 * vel[i] + 0.001 * grad[i] * grad[i];
          double denom = Math.sqrt(vel[i]) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-6;
          w[i] -= lr / (1 - Math.pow(0.9, t)) * mom[i] / denom;
        }
      }
      float[] actual = p.toFloatArray();
      float[] unanchored = q.toFloatArray();
      for (int i = 0; i < 3; i++) {
        assertEquals(w[i], actual[i], 1e-5, "weight " + i);
        double drift = Math.abs(actual[i] - w0[i]);
        double freeDrift = Math.abs(unanchored[i] - w0[i]);
        assertTrue(drift < 0.5 * freeDrift, "weight " + i + ": " + drift + " vs " + freeDrift);
      }
      withBase.close();
      without.close();
    }
  }

  @Test
  void rowSparseUpdatesEqualDenseUpdates() {
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      Random random = new Random(3);
      float[] init = new float[ROWS * COLS];
      for (int i = 0; i < init.length; i++) {
        init[i] = (float) random.nextGaussian();
      }
      NDArray dense = m.create(init.clone(), new Shape(ROWS, COLS));
      NDArray sparse = m.create(init.clone(), new Shape(ROWS, COLS));
      dense.setRequiresGradient(true);
      sparse.setRequiresGradient(true);
      String name = "embeddings.word_embeddings.weight";
      Map<String, NDArray> denseParams = Map.of(name, dense);
      Map<String, NDArray> sparseParams = Map.of(name, sparse);
      AdamW denseAdam = new AdamW(denseParams, 0.01);
      AdamW sparseAdam = new AdamW(sparseParams, 0.01, Set.of(name));
      for (int step = 0; step < 6; step++) {
        int[] rows = random.ints(5, 0, ROWS).toArray();
        float[] grad = new float[ROWS * COLS];
        for (int r : rows) {
          for (int c = 0; c < COLS; c++) {
            grad[r * COLS + c] = (float) random.nextGaussian();
          }
        }
        setGradient(m, dense, grad);
        setGradient(m, sparse, grad);
        try (NDManager scratch = m.newSubManager()) {
          denseAdam.step(denseParams, scratch, 1e-2, 0.7);
          sparseAdam.step(sparseParams, scratch, 1e-2, 0.7, Map.of(name, rows));
        }
        JniUtils.zeroGrad((PtNDArray) dense);
        JniUtils.zeroGrad((PtNDArray) sparse);
        assertArrayEquals(
            dense.toFloatArray(), sparse.toFloatArray(), 1e-6f, "after step " + (step + 1));
      }
    }
  }
}
