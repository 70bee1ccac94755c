package io.twinstream.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter 2019), updating parameters in place as
 * {@code torch.optim.AdamW} does: {@code p -= lr·wd·p}, then {@code p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t)
 * + ε)}. Biases and layer-norm weights are not decayed. The moment estimates live in the parameters'
 * manager; temporaries are closed as soon as they are used, so a long round does not accumulate native memory.
 */
final class AdamW {

  static final double BETA1 = 0.9;
  static final double BETA2 = 0.999;
  static final double EPSILON = 1e-6;

  private final Map<String, NDArray> first = new LinkedHashMap<>();
  private final Map<String, NDArray> second = new LinkedHashMap<>();
  private final double weightDecay;
  private int t;

  AdamW(Map<String, NDArray> parameters, double weightDecay) {
    this.weightDecay = weightDecay;
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      first.put(e.getKey(), e.getValue().zerosLike());
      second.put(e.getKey(), e.getValue().zerosLike());
    }
  }

  /** Whether {@code name} gets weight decay: not biases and layer norms, as in Hugging Face training. */
  static boolean decays(String name) {
    return !name.endsWith(".bias") && !name.contains("LayerNorm");
  }

  /**
   * One update with the parameters' current gradients, each multiplied by {@code gradScale} first (clipping).
   * Runs without autograd.
   */
  void step(Map<String, NDArray> parameters, NDManager scratch, double learningRate, double gradScale) {
    t++;
    double bias1 = 1 - Math.pow(BETA1, t);
    double bias2 = 1 - Math.pow(BETA2, t);
    double stepSize = learningRate / bias1;
    double sqrtBias2 = Math.sqrt(bias2);
    try (NoGrad ignored = NoGrad.enter()) {
      for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
        NDArray p = e.getValue();
        NDArray g = p.getGradient();
        g.attach(scratch);
        if (gradScale != 1.0) {
          g.muli(gradScale);
        }
        NDArray m = first.get(e.getKey());
        NDArray v = second.get(e.getKey());
        try (NDArray gm = g.mul(1 - BETA1)) {
          m.muli(BETA1).addi(gm);
        }
        try (NDArray g2 = g.mul(g)) {
          v.muli(BETA2).addi(g2.muli(1 - BETA2));
        }
        if (weightDecay > 0 && decays(e.getKey())) {
          p.muli(1 - learningRate * weightDecay);
        }
        try (NDArray denom = v.sqrt(); NDArray update = m.div(denom.divi(sqrtBias2).addi(EPSILON))) {
          p.subi(update.muli(stepSize));
        }
      }
    }
  }

  /** Steps taken. */
  int steps() {
    return t;
  }

  /** Frees the moment estimates. */
  void close() {
    first.values().forEach(NDArray::close);
    second.values().forEach(NDArray::close);
  }
}
