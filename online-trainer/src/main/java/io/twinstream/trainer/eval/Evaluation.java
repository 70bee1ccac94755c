package io.twinstream.trainer.eval;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named metrics from one evaluation and which of them is primary (the one a promotion gate or a
 * model comparison looks at), with the primary metric of every query where the evaluation has
 * queries: two models evaluated on the same queries are compared query by query ({@link
 * PairedComparison}), not only by their means.
 *
 * @param primary the name of the primary metric; a key of {@code metrics}
 * @param metrics values by name, in a stable order
 * @param perQuery the primary metric of each evaluated query by query id, in a stable order (empty
 *     for evaluations without queries, e.g. STS)
 */
public record Evaluation(
    String primary, Map<String, Double> metrics, Map<String, Double> perQuery) {

  public Evaluation {
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    perQuery = Collections.unmodifiableMap(new LinkedHashMap<>(perQuery));
    if (!metrics.containsKey(primary)) {
      throw new IllegalArgumentException(
          "primary metric " + primary + " is not among " + metrics.keySet());
    }
  }

  /** An evaluation without per-query values. */
  public Evaluation(String primary, Map<String, Double> metrics) {
    this(primary, metrics, Map.of());
  }

  /** The primary metric's value. */
  public double primaryValue() {
    return metrics.get(primary);
  }

  /** Whether every metric is a finite number. */
  public boolean allFinite() {
    return metrics.values().stream().allMatch(Double::isFinite)
        && perQuery.values().stream().allMatch(Double::isFinite);
  }

  /** The metrics with {@code prefix} before each name (e.g. {@code "sts-dev/"}). */
  public Map<String, Double> prefixed(String prefix) {
    Map<String, Double> out = new LinkedHashMap<>();
    metrics.forEach((k, v) -> out.put(prefix + k, v));
    return out;
  }
}
