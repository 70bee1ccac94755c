package io.twinstream.cli.demo;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One version's nDCG@10 on each test query, so that the report can average it over any part of the
 * test set: all of it, the queries whose relevant documents users clicked during the run (seen),
 * the others (unseen), each test file of the task.
 *
 * @param perQuery nDCG@10 by test query id
 */
public record TestScores(Map<String, Double> perQuery) {

  public TestScores {
    perQuery = Collections.unmodifiableMap(new LinkedHashMap<>(perQuery));
  }

  /** The mean over every test query. */
  public double mean() {
    return mean(perQuery.keySet());
  }

  /** The mean over {@code queries} (those scored), NaN when none is. */
  public double mean(Collection<String> queries) {
    double sum = 0;
    int n = 0;
    for (String q : queries) {
      Double v = perQuery.get(q);
      if (v != null) {
        sum += v;
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }
}
