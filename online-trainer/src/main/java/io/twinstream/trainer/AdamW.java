package io.twinstream.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter 2019), updating parameters in place as
 * {@code torch.optim.AdamW} does: {@code p -= lr·wd·p}, then {@code p -= lr/(1-β1^t) · m /
 * (sqrt(v)/sqrt(1-β2^t) + ε)}. Biases and layer-norm weights are not decayed. The moment estimates
 * live in the parameters' manager; temporaries are closed as soon as they are used, so a long round
 * does not accumulate native memory.
 *
 * <p>Row-sparse tables (the word embeddings: 30k rows of which a batch touches a few hundred) get
 * the same update restricted to the rows ever touched. That is exact, not an approximation: a row
 * that has never had a gradient has zero moments, so dense AdamW moves it only by weight decay,
 * which is applied to the whole table; the moment and Adam updates skip rows whose moments are
 * still zero.
 */
final class AdamW {

  static final double BETA1 = 0.9;
  static final double BETA2 = 0.999;
  static final double EPSILON = 1e-6;

  private final Map<String, NDArray> first = new LinkedHashMap<>();
  private final Map<String, NDArray> second = new LinkedHashMap<>();
  private final double weightDecay;
  private final Map<String, BitSet> active = new HashMap<>();
  private final double baseDecay;
  private final Map<String, NDArray> base = new LinkedHashMap<>();
  private int t;

  AdamW(Map<String, NDArray> parameters, double weightDecay) {
    this(parameters, weightDecay, Set.of(), 0);
  }

  AdamW(Map<String, NDArray> parameters, double weightDecay, Set<String> rowSparse) {
    this(parameters, weightDecay, rowSparse, 0);
  }

  /**
   * @param rowSparse tables whose rows only get gradients when the batch uses them
   * @param baseDecay decay toward the parameters' values now (L2-SP, decoupled): each step moves
   *     {@code p -= lr·baseDecay·(p - p0)}; 0 = none (and no copy of the weights is kept)
   */
  AdamW(
      Map<String, NDArray> parameters,
      double weightDecay,
      Set<String> rowSparse,
      double baseDecay) {
    this.weightDecay = weightDecay;
    this.baseDecay = baseDecay;
    rowSparse.forEach(name -> active.put(name, new BitSet()));
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      first.put(e.getKey(), e.getValue().zerosLike());
      second.put(e.getKey(), e.getValue().zerosLike());
      if (baseDecay > 0) {
        try (NoGrad ignored = NoGrad.enter()) {
          NDArray copy = e.getValue().duplicate();
          copy.setRequiresGradient(false);
          base.put(e.getKey(), copy);
        }
      }
    }
  }

  /** {@code p -= lr·baseDecay·(p - p0)}, when base decay is on. */
  private void pullTowardBase(String name, NDArray p, double learningRate) {
    NDArray p0 = base.get(name);
    if (p0 == null) {
      return;
    }
    try (NDArray drift = p.sub(p0)) {
      p.subi(drift.muli(learningRate * baseDecay));
    }
  }

  /**
   * Whether {@code name} gets weight decay: not biases and layer norms, as in Hugging Face
   * training.
   */
  static boolean decays(String name) {
    return !name.endsWith(".bias") && !name.contains("LayerNorm");
  }

  /**
   * One update with the parameters' current gradients, each multiplied by {@code gradScale} first
   * (clipping). Runs without autograd.
   */
  void step(
      Map<String, NDArray> parameters, NDManager scratch, double learningRate, double gradScale) {
    step(parameters, scratch, learningRate, gradScale, Map.of());
  }

  /**
   * One update, {@code touchedRows} naming per row-sparse table the rows the batch used (their
   * gradients may be non-zero; every other row's gradient must be zero).
   */
  void step(
      Map<String, NDArray> parameters,
      NDManager scratch,
      double learningRate,
      double gradScale,
      Map<String, int[]> touchedRows) {
    t++;
    double bias1 = 1 - Math.pow(BETA1, t);
    double bias2 = 1 - Math.pow(BETA2, t);
    double stepSize = learningRate / bias1;
    double sqrtBias2 = Math.sqrt(bias2);
    try (NoGrad ignored = NoGrad.enter()) {
      for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
        NDArray p = e.getValue();
        BitSet rows = active.get(e.getKey());
        if (rows != null) {
          for (int r : touchedRows.getOrDefault(e.getKey(), new int[0])) {
            rows.set(r);
          }
          sparseStep(e.getKey(), p, rows, scratch, learningRate, gradScale, stepSize, sqrtBias2);
          pullTowardBase(e.getKey(), p, learningRate);
          continue;
        }
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
        pullTowardBase(e.getKey(), p, learningRate);
        try (NDArray denom = v.sqrt();
            NDArray update = m.div(denom.divi(sqrtBias2).addi(EPSILON))) {
          p.subi(update.muli(stepSize));
        }
      }
    }
  }

  private void sparseStep(
      String name,
      NDArray p,
      BitSet rows,
      NDManager scratch,
      double learningRate,
      double gradScale,
      double stepSize,
      double sqrtBias2) {
    if (weightDecay > 0 && decays(name)) {
      p.muli(1 - learningRate * weightDecay);
    }
    if (rows.isEmpty()) {
      return;
    }
    NDIndex index = new NDIndex("{}", scratch.create(rows.stream().asLongStream().toArray()));
    NDArray grad = p.getGradient();
    grad.attach(scratch);
    NDArray g = grad.get(index);
    g.attach(scratch);
    if (gradScale != 1.0) {
      g.muli(gradScale);
    }
    NDArray m = first.get(name).get(index);
    m.attach(scratch);
    NDArray v = second.get(name).get(index);
    v.attach(scratch);
    m.muli(BETA1).addi(g.mul(1 - BETA1));
    v.muli(BETA2).addi(g.mul(g).muli(1 - BETA2));
    NDArray w = p.get(index);
    w.attach(scratch);
    w.subi(m.div(v.sqrt().divi(sqrtBias2).addi(EPSILON)).muli(stepSize));
    first.get(name).set(index, m);
    second.get(name).set(index, v);
    p.set(index, w);
  }

  /** Steps taken. */
  int steps() {
    return t;
  }

  /** Frees the moment estimates (and the base weights' copy). */
  void close() {
    first.values().forEach(NDArray::close);
    second.values().forEach(NDArray::close);
    base.values().forEach(NDArray::close);
  }
}
