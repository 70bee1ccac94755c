package io.twinstream.trainer.online;

import io.twinstream.trainer.eval.Evaluation;
import io.twinstream.trainer.eval.PairedComparison;
import io.twinstream.trainer.eval.PairedComparison.Verdict;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether a candidate may replace the serving model, on evidence: both are scored on the
 * same evaluation queries (every task's: held-out feedback, the fixed set), and the per-query
 * differences of the primary metric are compared with a paired bootstrap ({@link
 * PairedComparison}). Under the default policy ({@link Policy#BETTER}) the candidate is promoted
 * only when
 *
 * <ol>
 *   <li>every metric of every task is finite;
 *   <li>it is <b>better</b> over all evaluation queries: the whole confidence interval of the mean
 *       difference is above zero, and the mean is at least {@code minImprovement} — a difference
 *       inside the noise is "no change", which keeps the serving model;
 *   <li>it does not <b>forget</b>: on the <i>unseen-document probe</i> — the evaluation queries
 *       whose relevant documents no training pair of the round touched — it is not significantly
 *       worse (interval below zero), and its mean difference there is not below {@code
 *       -maxForgetting}. Fine-tuning on clicks can raise the clicked documents at the expense of
 *       the rest of the corpus; these queries are where that shows.
 * </ol>
 *
 * <p>Under {@link Policy#NOT_WORSE} the second condition is only that it is not significantly
 * worse: for deployments that want the freshest model unless it is shown to be worse.
 *
 * @param policy what the candidate must show to be promoted (default {@link Policy#BETTER})
 * @param confidence two-sided confidence of the intervals (default 0.8: a one-sided 10% error of
 *     calling a candidate better when it is not; chosen on the SQuAD task, where 0.9 kept rejecting
 *     candidates 1.5 points better on the test questions, docs/continuous-learning.md)
 * @param minImprovement the least mean improvement worth a promotion (default 0)
 * @param maxForgetting the largest mean loss on the probe that still lets a candidate through
 *     (default {@value #DEFAULT_MAX_FORGETTING}); infinity = only a significant loss blocks
 */
public record PromotionGate(
    Policy policy, double confidence, double minImprovement, double maxForgetting)
    implements Serializable {

  private static final long serialVersionUID = 2L;

  /** The default confidence of the intervals. */
  public static final double DEFAULT_CONFIDENCE = 0.8;

  /** The default largest mean loss on the unseen-document probe. */
  public static final double DEFAULT_MAX_FORGETTING = 0.01;

  /** What a candidate must show over all evaluation queries to be promoted. */
  public enum Policy {
    /** Significantly better (and by at least the least improvement). */
    BETTER,
    /** Not significantly worse. */
    NOT_WORSE
  }

  public PromotionGate {
    if (policy == null) {
      throw new IllegalArgumentException("policy must be set");
    }
    if (!(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
    }
    if (!(minImprovement >= 0) || Double.isInfinite(minImprovement)) {
      throw new IllegalArgumentException(
          "minImprovement must be >= 0 and finite, got " + minImprovement);
    }
    if (!(maxForgetting >= 0)) {
      throw new IllegalArgumentException("maxForgetting must be >= 0, got " + maxForgetting);
    }
  }

  /**
   * Policy {@link Policy#BETTER}, confidence 0.8, no least improvement, forgetting up to one point
   * of nDCG@10.
   */
  public static PromotionGate defaults() {
    return new PromotionGate(Policy.BETTER, DEFAULT_CONFIDENCE, 0.0, DEFAULT_MAX_FORGETTING);
  }

  /** This gate with another policy. */
  public PromotionGate withPolicy(Policy value) {
    return new PromotionGate(value, confidence, minImprovement, maxForgetting);
  }

  /** What the gate found; whether that promotes depends on the {@link Policy}. */
  public enum Outcome {
    /** Better on the evaluation queries, and not forgetting. */
    BETTER,
    /** The difference is inside the noise (or below the least improvement), and not forgetting. */
    NO_CHANGE,
    /** Significantly worse. */
    WORSE,
    /** Worse on the unseen-document probe. */
    FORGETS,
    /** A metric is not finite, or nothing could be trained or compared. */
    INVALID
  }

  /**
   * The gate's verdict and its evidence.
   *
   * @param promote whether the candidate may serve
   * @param outcome why
   * @param reason the decision in words, with its numbers
   * @param candidate the candidate's primary metric on the first task
   * @param serving the serving model's on the first task
   * @param all the comparison over every evaluation query (null when none was made)
   * @param probe the comparison over the unseen-document probe (null when none was made)
   * @param differences the per-query differences compared, candidate minus serving, by {@code
   *     TASK/QUERY} (empty when none were)
   * @param probeQueries the keys of {@code differences} that make the probe
   */
  public record Decision(
      boolean promote,
      Outcome outcome,
      String reason,
      double candidate,
      double serving,
      PairedComparison all,
      PairedComparison probe,
      Map<String, Double> differences,
      Set<String> probeQueries) {

    public Decision {
      differences = Collections.unmodifiableMap(new LinkedHashMap<>(differences));
      probeQueries = Set.copyOf(probeQueries);
    }

    /** A rejection without a comparison: nothing trained, diverged. */
    public static Decision invalid(String reason, double serving) {
      return new Decision(
          false, Outcome.INVALID, reason, Double.NaN, serving, null, null, Map.of(), Set.of());
    }

    /**
     * The decision's numbers as round metrics: {@code gate/difference}, {@code gate/ci-low}, {@code
     * gate/ci-high}, {@code gate/queries}, {@code gate/better}, {@code gate/worse} and the same
     * under {@code gate/probe/}; {@code gate/promoted} 1 or 0.
     */
    public Map<String, Double> metrics() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("gate/promoted", promote ? 1.0 : 0.0);
      put(m, "gate/", all);
      put(m, "gate/probe/", probe);
      return m;
    }

    private static void put(Map<String, Double> m, String prefix, PairedComparison c) {
      if (c == null) {
        return;
      }
      m.put(prefix + "queries", (double) c.queries());
      m.put(prefix + "difference", c.meanDifference());
      m.put(prefix + "ci-low", c.low());
      m.put(prefix + "ci-high", c.high());
      m.put(prefix + "better", (double) c.better());
      m.put(prefix + "worse", (double) c.worse());
      m.put(prefix + "confidence", c.confidence());
    }
  }

  /**
   * Compares candidate and serving model on the same tasks.
   *
   * @param candidate the candidate's evaluation per task
   * @param serving the serving model's, per task (the same tasks)
   * @param probe per task, the queries whose relevant documents no training pair touched
   * @param seed seeds the bootstrap (the round's seed: a redone round decides the same)
   */
  public Decision decide(
      Map<String, Evaluation> candidate,
      Map<String, Evaluation> serving,
      Map<String, Set<String>> probe,
      long seed) {
    if (candidate.isEmpty() || !candidate.keySet().equals(serving.keySet())) {
      throw new IllegalArgumentException(
          "candidate and serving must be evaluated on the same tasks, got "
              + candidate.keySet()
              + " and "
              + serving.keySet());
    }
    String first = candidate.keySet().iterator().next();
    double c0 = candidate.get(first).primaryValue();
    double s0 = serving.get(first).primaryValue();
    for (Map.Entry<String, Evaluation> task : candidate.entrySet()) {
      Evaluation c = task.getValue();
      Evaluation s = serving.get(task.getKey());
      if (!c.primary().equals(s.primary())) {
        throw new IllegalArgumentException(
            "evaluations of " + task.getKey() + " differ: " + c.primary() + " vs " + s.primary());
      }
      if (!c.allFinite()) {
        return new Decision(
            false,
            Outcome.INVALID,
            task.getKey() + ": candidate has non-finite metrics " + c.metrics(),
            c0,
            s0,
            null,
            null,
            Map.of(),
            Set.of());
      }
    }
    Map<String, Double> cAll = new LinkedHashMap<>();
    Map<String, Double> sAll = new LinkedHashMap<>();
    Map<String, Double> cProbe = new LinkedHashMap<>();
    Map<String, Double> sProbe = new LinkedHashMap<>();
    for (Map.Entry<String, Evaluation> task : candidate.entrySet()) {
      Map<String, Double> c = perQueryOrMean(task.getValue());
      Map<String, Double> s = perQueryOrMean(serving.get(task.getKey()));
      Set<String> unseen = probe.getOrDefault(task.getKey(), Set.of());
      c.forEach(
          (query, value) -> {
            Double other = s.get(query);
            if (other == null) {
              return;
            }
            String key = task.getKey() + "/" + query;
            cAll.put(key, value);
            sAll.put(key, other);
            if (unseen.contains(query)) {
              cProbe.put(key, value);
              sProbe.put(key, other);
            }
          });
    }
    PairedComparison all = PairedComparison.of(cAll, sAll, confidence, seed);
    PairedComparison forgetting =
        cProbe.isEmpty() ? null : PairedComparison.of(cProbe, sProbe, confidence, seed + 1);
    String evidence = "all " + all.describe();
    if (forgetting != null) {
      evidence += "; unseen-document probe " + forgetting.describe();
    }
    boolean forgets =
        forgetting != null
            && (forgetting.verdict() == Verdict.WORSE
                || forgetting.meanDifference() < -maxForgetting);
    Outcome outcome;
    if (all.verdict() == Verdict.WORSE) {
      outcome = Outcome.WORSE;
    } else if (forgets) {
      outcome = Outcome.FORGETS;
    } else if (all.verdict() == Verdict.BETTER && all.meanDifference() >= minImprovement) {
      outcome = Outcome.BETTER;
    } else {
      outcome = Outcome.NO_CHANGE;
    }
    boolean promote =
        outcome == Outcome.BETTER || (policy == Policy.NOT_WORSE && outcome == Outcome.NO_CHANGE);
    String verdict =
        switch (outcome) {
          case BETTER -> "better";
          case WORSE -> "worse";
          case NO_CHANGE ->
              (all.verdict() == Verdict.BETTER
                      ? String.format(
                          Locale.ROOT, "no change: better by less than %.4f", minImprovement)
                      : "no change")
                  + (promote ? " (promoted: not worse)" : "");
          case FORGETS ->
              String.format(
                  Locale.ROOT,
                  "forgets: worse on the queries about documents the round did not train on (by"
                      + " more than %.4f, or significantly)",
                  maxForgetting);
          case INVALID -> "invalid";
        };
    Map<String, Double> differences = new LinkedHashMap<>();
    cAll.forEach((key, value) -> differences.put(key, value - sAll.get(key)));
    return new Decision(
        promote,
        outcome,
        verdict + ": nDCG@10 " + evidence,
        c0,
        s0,
        all,
        forgetting,
        differences,
        cProbe.keySet());
  }

  /**
   * An evaluation's per-query values, or its primary metric as one query when it has none (an STS
   * task: then it counts as one observation).
   */
  private static Map<String, Double> perQueryOrMean(Evaluation e) {
    return e.perQuery().isEmpty() ? Map.of("(all)", e.primaryValue()) : e.perQuery();
  }
}
