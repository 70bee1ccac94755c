package io.twinstream.encoder.bridge;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Trains a query adapter (adapter mode): a {@link ResidualMap} applied to queries only, so that
 * documents keep the vectors they have. The loss is the multiple-negatives ranking loss on the
 * mapped query's cosines to its batch's positives and hard negatives (sentence-transformers' MNRL,
 * scale 20), weighted per example; plain Java, Adam.
 *
 * @param rank hidden units of the map (64)
 * @param epochs passes over the examples (10)
 * @param learningRate Adam's step (3e-3)
 * @param scale the cosines' scale in the softmax (20)
 * @param batchSize examples per step, each one's positive a negative of the others (32)
 * @param seed initial weights and order
 */
public record AdapterTrainer(
    int rank, int epochs, double learningRate, double scale, int batchSize, long seed)
    implements java.io.Serializable {

  public AdapterTrainer {
    if (rank < 1 || epochs < 1 || !(learningRate > 0) || !(scale > 0) || batchSize < 2) {
      throw new IllegalArgumentException(
          "adapter training needs rank >= 1, epochs >= 1, learning rate > 0, scale > 0, batch"
              + " size >= 2");
    }
  }

  /** The defaults above, seed 42. */
  public static AdapterTrainer defaults() {
    return new AdapterTrainer(64, 10, 3e-3, 20, 32, 42);
  }

  /** The same with another seed (a round's). */
  public AdapterTrainer withSeed(long s) {
    return new AdapterTrainer(rank, epochs, learningRate, scale, batchSize, s);
  }

  /**
   * One example: a query's vector (as the model embeds it, before any adapter), its clicked
   * document's, a hard negative's or null, and its weight. Vectors of unit length.
   */
  public record Example(float[] query, float[] positive, float[] negative, float weight) {}

  /** What a training did: the map, the first and last epoch's mean loss, the steps. */
  public record Result(ResidualMap map, double firstLoss, double lastLoss, int steps) {}

  /**
   * Trains from {@code start} (a copy of its weights; null = the identity, a fresh map).
   *
   * @throws IllegalArgumentException when there are no examples or {@code start} has another
   *     dimension
   */
  public Result train(List<Example> examples, ResidualMap start) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("no examples to train an adapter on");
    }
    int d = examples.get(0).query().length;
    Random random = new Random(seed);
    ResidualMap map;
    if (start != null) {
      if (start.dimension() != d) {
        throw new IllegalArgumentException(
            "the adapter to continue has " + start.dimension() + " dimensions, the vectors " + d);
      }
      map =
          new ResidualMap(
              d,
              start.rank(),
              start.down().clone(),
              start.downBias().clone(),
              start.up().clone(),
              start.upBias().clone());
    } else {
      float[] down = new float[d * rank];
      float s = (float) Math.sqrt(2.0 / d);
      for (int i = 0; i < down.length; i++) {
        down[i] = (float) (random.nextGaussian() * s);
      }
      map = new ResidualMap(d, rank, down, new float[rank], new float[d * rank], new float[d]);
    }
    int r = map.rank();
    float[] gDown = new float[d * r];
    float[] gDownBias = new float[r];
    float[] gUp = new float[d * r];
    float[] gUpBias = new float[d];
    Adam adam = new Adam(learningRate, map.down(), map.downBias(), map.up(), map.upBias());
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < examples.size(); i++) {
      order.add(i);
    }
    double first = Double.NaN;
    double last = Double.NaN;
    int steps = 0;
    for (int epoch = 0; epoch < epochs; epoch++) {
      java.util.Collections.shuffle(order, random);
      double lossSum = 0;
      double weightSum = 0;
      for (int from = 0; from < order.size(); from += batchSize) {
        List<Example> batch = new ArrayList<>();
        for (int i = from; i < Math.min(order.size(), from + batchSize); i++) {
          batch.add(examples.get(order.get(i)));
        }
        Arrays.fill(gDown, 0);
        Arrays.fill(gDownBias, 0);
        Arrays.fill(gUp, 0);
        Arrays.fill(gUpBias, 0);
        double[] loss = step(map, batch, gDown, gDownBias, gUp, gUpBias);
        adam.step(gDown, gDownBias, gUp, gUpBias);
        steps++;
        lossSum += loss[0];
        weightSum += loss[1];
      }
      double mean = lossSum / weightSum;
      if (epoch == 0) {
        first = mean;
      }
      last = mean;
    }
    return new Result(map, first, last, steps);
  }

  /** Accumulates one batch's gradients; returns {weighted loss sum, weight sum}. */
  private double[] step(
      ResidualMap map,
      List<Example> batch,
      float[] gDown,
      float[] gDownBias,
      float[] gUp,
      float[] gUpBias) {
    int d = map.dimension();
    List<float[]> candidates = new ArrayList<>();
    for (Example e : batch) {
      candidates.add(e.positive());
    }
    for (Example e : batch) {
      if (e.negative() != null) {
        candidates.add(e.negative());
      }
    }
    double totalWeight = 0;
    for (Example e : batch) {
      totalWeight += e.weight();
    }
    double lossSum = 0;
    float[] z = new float[d];
    float[] g = new float[d];
    double[] logits = new double[candidates.size()];
    for (int i = 0; i < batch.size(); i++) {
      Example e = batch.get(i);
      float[] h = map.hidden(e.query());
      System.arraycopy(e.query(), 0, z, 0, d);
      map.addUp(h, z);
      double norm = 0;
      for (float v : z) {
        norm += v * v;
      }
      norm = Math.sqrt(Math.max(norm, 1e-24));
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < logits.length; j++) {
        float[] c = candidates.get(j);
        double dot = 0;
        for (int k = 0; k < d; k++) {
          dot += z[k] * c[k];
        }
        logits[j] = scale * dot / norm;
        max = Math.max(max, logits[j]);
      }
      double sum = 0;
      for (int j = 0; j < logits.length; j++) {
        logits[j] = Math.exp(logits[j] - max);
        sum += logits[j];
      }
      double w = e.weight() / totalWeight;
      lossSum += e.weight() * -Math.log(logits[i] / sum);
      // dLoss/dq' = scale * Σ_j (p_j - [j = i]) c_j, weighted.
      Arrays.fill(g, 0);
      for (int j = 0; j < logits.length; j++) {
        float coef = (float) (w * scale * (logits[j] / sum - (j == i ? 1 : 0)));
        float[] c = candidates.get(j);
        for (int k = 0; k < d; k++) {
          g[k] += coef * c[k];
        }
      }
      // Through q' = z / |z|: dz = (g - (g·q') q') / |z|.
      double gq = 0;
      for (int k = 0; k < d; k++) {
        gq += g[k] * z[k] / norm;
      }
      for (int k = 0; k < d; k++) {
        g[k] = (float) ((g[k] - gq * z[k] / norm) / norm);
      }
      map.backward(e.query(), h, g, gDown, gDownBias, gUp, gUpBias);
    }
    return new double[] {lossSum, totalWeight};
  }
}
