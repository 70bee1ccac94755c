package io.twinstream.cli.demo;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.twinstream.records.FeedbackPair;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a round's simulated users produced and what the feedback joiner made of it: searches,
 * interaction events, and the pairs written meanwhile, counted by source with their mean weight.
 *
 * @param searches searches made
 * @param events impressions and clicks sent to {@code interactions}
 * @param bySource pairs by {@code source} (click, skip-above, ...)
 */
@JsonPropertyOrder({"searches", "events", "pairs", "bySource"})
public record RoundFeedback(int searches, int events, Map<String, Source> bySource) {

  public RoundFeedback {
    bySource = Collections.unmodifiableMap(new TreeMap<>(bySource)); // sources in name order
  }

  /** Pairs of one source and their mean weight. */
  public record Source(int pairs, double meanWeight) {}

  /** Counts {@code pairs} by source. */
  public static RoundFeedback of(int searches, int events, List<FeedbackPair> pairs) {
    Map<String, double[]> sums = new TreeMap<>();
    for (FeedbackPair p : pairs) {
      double[] s = sums.computeIfAbsent(p.getSource().toString(), k -> new double[2]);
      s[0]++;
      s[1] += p.getWeight();
    }
    Map<String, Source> bySource = new TreeMap<>();
    sums.forEach((source, s) -> bySource.put(source, new Source((int) s[0], s[1] / s[0])));
    return new RoundFeedback(searches, events, bySource);
  }

  /** Pairs in all. */
  @JsonProperty
  public int pairs() {
    return bySource.values().stream().mapToInt(Source::pairs).sum();
  }

  /**
   * The console line, e.g. {@code feedback 212 searches, 2,331 events -> joiner -> 320 pairs: ...}.
   */
  @JsonIgnore
  public String line() {
    StringBuilder sb =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "feedback %d searches, %d events -> joiner -> %d pairs:",
                searches,
                events,
                pairs()));
    bySource.forEach(
        (source, s) ->
            sb.append(
                String.format(
                    Locale.ROOT, " %d %s (mean weight %.2f)", s.pairs(), source, s.meanWeight())));
    return sb.toString();
  }
}
