package io.twinstream.joiner;

/**
 * How likely a user is to look at a result at a given rank: the position-based click model's
 * examination probability {@code p(k) = (1 / (k + 1))^eta} for 0-based rank {@code k} (Joachims,
 * Swaminathan and Schnabel, "Unbiased Learning-to-Rank with Biased Feedback", 2017, use the same
 * power law). A click at rank {@code k} then counts {@code 1 / p(k)} times (inverse propensity
 * scoring), clipped at {@code maxWeight} so that one click far down the list cannot dominate a
 * batch. {@code eta = 0} turns the correction off: every weight is 1.
 *
 * <p>The exponent is configured, not estimated from the stream: estimating it needs interventions
 * (randomised swaps of ranks) or a click model fitted by EM over many sessions, and both need
 * traffic the front end has to produce on purpose; see docs/feedback-joiner.md.
 *
 * @param eta the power law's exponent (0 = no correction, 1 = the usual default)
 * @param maxWeight the largest weight a pair gets (clipping)
 */
public record Propensity(double eta, double maxWeight) {

  /** No correction: every pair weighs 1. */
  public static final Propensity NONE = new Propensity(0, 1);

  public Propensity {
    if (!(eta >= 0) || Double.isInfinite(eta)) {
      throw new IllegalArgumentException("--propensity-eta must be >= 0, got " + eta);
    }
    if (!(maxWeight >= 1) || Double.isInfinite(maxWeight)) {
      throw new IllegalArgumentException("--max-weight must be >= 1, got " + maxWeight);
    }
  }

  /** The examination probability of 0-based rank {@code rank}. */
  public double examination(int rank) {
    if (rank < 0) {
      throw new IllegalArgumentException("rank must be >= 0, got " + rank);
    }
    return Math.pow(1.0 / (rank + 1), eta);
  }

  /** The weight of a click at 0-based rank {@code rank}: {@code min(maxWeight, 1 / p(rank))}. */
  public float weight(int rank) {
    return (float) Math.min(maxWeight, 1.0 / examination(rank));
  }
}
