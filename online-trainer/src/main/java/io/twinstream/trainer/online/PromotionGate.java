package io.twinstream.trainer.online;

import io.twinstream.trainer.eval.Evaluation;
import java.io.Serializable;
import java.util.Locale;

/**
 * Decides whether a candidate model may replace the serving one: every metric of the candidate must
 * be finite, its primary metric must not be worse than the serving model's by more than {@code
 * tolerance}, and, if {@code minImprovement} is positive, better by at least that much.
 *
 * @param tolerance how much worse (absolute, on the primary metric) the candidate may be; default
 *     0.0
 * @param minImprovement how much better it must be; default 0.0 (equal is enough)
 */
public record PromotionGate(double tolerance, double minImprovement) implements Serializable {

  public PromotionGate {
    if (!(tolerance >= 0) || !(minImprovement >= 0)) {
      throw new IllegalArgumentException(
          "tolerance and minImprovement must be >= 0, got " + tolerance + ", " + minImprovement);
    }
  }

  /** No tolerance, no required improvement. */
  public static PromotionGate defaults() {
    return new PromotionGate(0.0, 0.0);
  }

  /** The gate's verdict. */
  public record Decision(boolean promote, String reason, double candidate, double serving) {}

  /** Compares candidate and serving on the same evaluation. */
  public Decision decide(Evaluation candidate, Evaluation serving) {
    if (!candidate.primary().equals(serving.primary())) {
      throw new IllegalArgumentException(
          "evaluations differ: " + candidate.primary() + " vs " + serving.primary());
    }
    double c = candidate.primaryValue();
    double s = serving.primaryValue();
    String metric = candidate.primary();
    if (!candidate.allFinite()) {
      return new Decision(false, "candidate has non-finite metrics " + candidate.metrics(), c, s);
    }
    if (c < s - tolerance) {
      return new Decision(
          false,
          String.format(
              Locale.ROOT,
              "%s %.4f is worse than serving %.4f by more than %.4f",
              metric,
              c,
              s,
              tolerance),
          c,
          s);
    }
    if (minImprovement > 0 && c < s + minImprovement) {
      return new Decision(
          false,
          String.format(
              Locale.ROOT,
              "%s %.4f does not beat serving %.4f by %.4f",
              metric,
              c,
              s,
              minImprovement),
          c,
          s);
    }
    return new Decision(
        true, String.format(Locale.ROOT, "%s %.4f vs serving %.4f", metric, c, s), c, s);
  }
}
