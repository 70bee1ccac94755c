package io.twinstream.joiner;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The joiner's counters, shared by its stream threads, readable while it runs and rendered in the
 * Prometheus text format for {@code /metrics}. Kafka Streams' own metrics (lag, commit latency,
 * dropped records) are in JMX as usual.
 */
public final class JoinerMetrics {

  private final Map<String, LongAdder> counters = new LinkedHashMap<>();
  private final Map<String, String> help = new LinkedHashMap<>();
  private final DoubleAdder weights = new DoubleAdder();
  private final AtomicLong lastJoinLatencyMillis = new AtomicLong(-1);
  private final AtomicLong maxJoinLatencyMillis = new AtomicLong(0);

  public JoinerMetrics() {
    define("events_in", "Interaction records read");
    define("undecodable", "Records dead-lettered because they could not be decoded or checked");
    define("duplicates", "Repeated events dropped");
    define("searches_closed", "Searches completed and turned into pairs");
    define("pairs_out", "Training pairs written");
    define("positives_out", "Pairs with label >= 0.5 (clicks)");
    define("negatives_out", "Pairs with label < 0.5 (skipped results, bounces)");
    define("pairs_click", "Pairs from clicks");
    define("pairs_skip_above", "Pairs from results skipped above a click");
    define("pairs_skip_next", "Pairs from the result right below a click (--skip-next)");
    define("orphans", "Clicks without an impression and documents without a text, dead-lettered");
    define("late", "Events that came after their search closed, dead-lettered");
  }

  private void define(String name, String description) {
    counters.put(name, new LongAdder());
    help.put(name, description);
  }

  /** Adds {@code n} to counter {@code name}. */
  void add(String name, long n) {
    LongAdder counter = counters.get(name);
    if (counter == null) {
      throw new IllegalArgumentException("no joiner counter " + name);
    }
    counter.add(n);
  }

  /** Counter {@code name}'s value. */
  public long get(String name) {
    LongAdder counter = counters.get(name);
    if (counter == null) {
      throw new IllegalArgumentException("no joiner counter " + name);
    }
    return counter.sum();
  }

  /** Counts one pair written, by its source, and its weight. */
  void pair(String source, float weight) {
    add("pairs_" + source.replace('-', '_'), 1);
    weights.add(weight);
  }

  /** The mean weight of the pairs written so far (NaN before the first). */
  public double meanWeight() {
    long pairs = get("pairs_out");
    return pairs == 0 ? Double.NaN : weights.sum() / pairs;
  }

  /**
   * Records the wall-clock time from a search's last event to its pairs' emission (meaningful when
   * event time follows the wall clock).
   */
  void joinLatency(long millis) {
    lastJoinLatencyMillis.set(millis);
    maxJoinLatencyMillis.accumulateAndGet(millis, Math::max);
  }

  /** The counters by name. */
  public Map<String, Long> snapshot() {
    Map<String, Long> out = new LinkedHashMap<>();
    counters.forEach((k, v) -> out.put(k, v.sum()));
    out.put("join_latency_last_ms", lastJoinLatencyMillis.get());
    out.put("join_latency_max_ms", maxJoinLatencyMillis.get());
    return out;
  }

  /** The Prometheus text exposition of the counters and the join latency. */
  public String prometheus() {
    StringBuilder sb = new StringBuilder();
    counters.forEach(
        (name, value) -> {
          String metric = "twinstream_joiner_" + name + "_total";
          sb.append("# HELP ").append(metric).append(' ').append(help.get(name)).append('\n');
          sb.append("# TYPE ").append(metric).append(" counter\n");
          sb.append(metric).append(' ').append(value.sum()).append('\n');
        });
    gauge(
        sb,
        "twinstream_joiner_join_latency_last_seconds",
        "Wall-clock time from a search's last event to its pairs, last search",
        lastJoinLatencyMillis.get());
    gauge(
        sb,
        "twinstream_joiner_join_latency_max_seconds",
        "Wall-clock time from a search's last event to its pairs, largest so far",
        maxJoinLatencyMillis.get());
    return sb.toString();
  }

  private static void gauge(StringBuilder sb, String metric, String description, long millis) {
    sb.append("# HELP ").append(metric).append(' ').append(description).append('\n');
    sb.append("# TYPE ").append(metric).append(" gauge\n");
    sb.append(metric)
        .append(' ')
        .append(millis < 0 ? "NaN" : String.format(Locale.ROOT, "%.3f", millis / 1000.0))
        .append('\n');
  }
}
