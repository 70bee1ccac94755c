package io.twinstream.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.twinstream.records.ModelUpdate;
import io.twinstream.trainer.online.FineTuningRound;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the demo reports, version by version: the base model's test nDCG@10, then each round's
 * update (status, gate reason, training facts, every metric) with the new version's test nDCG@10
 * and how long the round took, and the feedback the round's users gave ({@link RoundFeedback});
 * written as JSON and charted as an HTML page ({@link Chart}). Non-finite numbers are written as
 * null.
 */
public final class DemoReport {

  /** What the report's metric means. */
  public static final String METRIC =
      "test/ndcg@10: nDCG@10 on test queries never trained or gated on";

  private final List<Map<String, Object>> versions = new ArrayList<>();
  private final Map<String, TestScores> scores = new LinkedHashMap<>();
  private Map<String, Object> store = Map.of();
  private Map<String, Object> byClicks = Map.of();

  /** The vector store's part: rows, fill and cut-over per version, searches, mixed searches. */
  public void store(Map<String, Object> summary) {
    this.store = summary;
  }

  /** The console line of one version in the store. */
  public static String storeLine(String version, Map<String, Object> v) {
    boolean backfilled = "backfill".equals(v.get("filledBy"));
    return String.format(
        Locale.ROOT,
        "store   %-24s %6d rows  %s in %.1f s%s  cut over in %.1f ms  %d searches",
        version,
        ((Number) v.getOrDefault("rows", 0L)).longValue(),
        backfilled ? "backfilled" : "streamed  ",
        ((Number) v.getOrDefault("fillSeconds", Double.NaN)).doubleValue(),
        backfilled
            ? String.format(
                Locale.ROOT,
                " (%.1f docs/s)",
                ((Number) v.getOrDefault("backfillRecordsPerSecond", Double.NaN)).doubleValue())
            : "",
        ((Number) v.getOrDefault("cutOverMillis", Double.NaN)).doubleValue(),
        ((Number) v.getOrDefault("searches", 0L)).longValue());
  }

  /** The base model's row. */
  public Map<String, Object> base(String version, TestScores test) {
    Map<String, Object> row = row(version, "BASE", null, test.mean(), Map.of(), null);
    versions.add(row);
    scores.put(version, test);
    return row;
  }

  /**
   * A round's row: its update, the new version's test nDCG@10, feedback-sent-to-update seconds and
   * the feedback its users gave.
   */
  public Map<String, Object> round(
      ModelUpdate update, TestScores test, double roundSeconds, RoundFeedback feedback) {
    Map<String, Object> row =
        row(
            update.getVersion(),
            update.getStatus().name(),
            update.getParentVersion(),
            test == null ? Double.NaN : test.mean(),
            update.getMetrics(),
            update.getReason());
    if (test != null) {
      scores.put(update.getVersion(), test);
    }
    row.put("roundSeconds", roundSeconds);
    row.put("feedback", feedback.toMap());
    versions.add(row);
    return row;
  }

  /**
   * Every version scored again on one split of the test queries made at the end of the run:
   * <i>seen</i>, the queries one of whose relevant documents users clicked during the run, and
   * <i>unseen</i>, the others — where learning from clicks shows, and where forgetting would — and
   * each of the task's test sets. Returns the console lines; the JSON report gets the same.
   *
   * @param clicked the documents users clicked during the run
   * @param relevance the task's judgements
   * @param testSets the task's test sets by name (one, {@code test}, for a random split)
   */
  public List<String> byClicks(
      Set<String> clicked,
      Map<String, Map<String, Integer>> relevance,
      Map<String, List<String>> testSets) {
    List<String> all = new ArrayList<>();
    testSets.values().forEach(all::addAll);
    List<String> seen = new ArrayList<>();
    List<String> unseen = new ArrayList<>();
    for (String q : all) {
      boolean touched =
          relevance.getOrDefault(q, Map.of()).entrySet().stream()
              .anyMatch(r -> r.getValue() > 0 && clicked.contains(r.getKey()));
      (touched ? seen : unseen).add(q);
    }
    Map<String, List<String>> parts = new LinkedHashMap<>();
    parts.put("all", all);
    parts.put("seen", seen);
    parts.put("unseen", unseen);
    if (testSets.size() > 1) {
      parts.putAll(testSets);
    }
    List<String> lines = new ArrayList<>();
    StringBuilder header =
        new StringBuilder(String.format(Locale.ROOT, "%-32s %-9s", "test nDCG@10", ""));
    parts.forEach(
        (name, ids) ->
            header.append(String.format(Locale.ROOT, " %16s", name + " (" + ids.size() + ")")));
    lines.add(header.toString());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Map<String, Object> v : versions) {
      TestScores t = scores.get((String) v.get("version"));
      if (t == null) {
        continue;
      }
      StringBuilder line =
          new StringBuilder(
              String.format(Locale.ROOT, "%-32s %-9s", v.get("version"), v.get("status")));
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("version", v.get("version"));
      row.put("status", v.get("status"));
      parts.forEach(
          (name, ids) -> {
            double mean = t.mean(ids);
            line.append(String.format(Locale.ROOT, " %16.4f", mean));
            row.put(name, finite(mean));
          });
      lines.add(line.toString());
      rows.add(row);
    }
    Map<String, Object> counts = new LinkedHashMap<>();
    parts.forEach((name, ids) -> counts.put(name, ids.size()));
    byClicks = new LinkedHashMap<>();
    byClicks.put("clickedDocuments", clicked.size());
    byClicks.put("queries", counts);
    byClicks.put("versions", rows);
    return lines;
  }

  /** The rows so far. */
  public List<Map<String, Object>> versions() {
    return Collections.unmodifiableList(versions);
  }

  /** The console line of a round (what {@code twinstream demo} prints). */
  public static String line(ModelUpdate update, double testNdcg, double roundSeconds) {
    Map<String, Double> m = update.getMetrics();
    return String.format(
        Locale.ROOT,
        "version %-24s %-9s test nDCG@10 %.4f  gate: %s  (%.0f pairs, loss %.3f, "
            + "training %.1f s of a %.1f s round)",
        update.getVersion(),
        update.getStatus(),
        testNdcg,
        update.getReason(),
        m.getOrDefault(FineTuningRound.PAIRS, Double.NaN),
        m.getOrDefault(FineTuningRound.LAST_LOSS, Double.NaN),
        m.getOrDefault(FineTuningRound.TRAIN_SECONDS, Double.NaN),
        roundSeconds);
  }

  /** The console line of the base model. */
  public static String baseLine(String version, double testNdcg) {
    return String.format(
        Locale.ROOT, "version %-24s serving   test nDCG@10 %.4f  (base model)", version, testNdcg);
  }

  /**
   * Writes the JSON report to {@code report} and the chart to {@code chart} (either may be null).
   *
   * @param task what the task was (name, sizes)
   * @param topics records in and out per topic
   * @param joiner the feedback joiner's counters at the end
   */
  public void write(
      Path report,
      Path chart,
      Map<String, Object> task,
      Map<String, Object> topics,
      Map<String, Object> joiner,
      String registry)
      throws IOException {
    if (report != null) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("task", task);
      doc.put("metric", METRIC);
      doc.put("versions", versions);
      doc.put("testByClicks", byClicks);
      doc.put("topics", topics);
      doc.put("joiner", joiner);
      doc.put("store", store);
      doc.put("registry", registry);
      createParent(report);
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(report.toFile(), doc);
    }
    if (chart != null) {
      createParent(chart);
      Files.writeString(chart, Chart.html(versions), StandardCharsets.UTF_8);
    }
  }

  /** The chart's default path: the report's, with {@code .html} instead of {@code .json}. */
  public static Path chartBeside(Path report) {
    return report.resolveSibling(
        report.getFileName().toString().replaceFirst("\\.json$", "") + ".html");
  }

  private static void createParent(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
  }

  private static Map<String, Object> row(
      String version,
      String status,
      String parent,
      double testNdcg,
      Map<String, Double> metrics,
      String reason) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("version", version);
    v.put("status", status);
    v.put("parent", parent);
    v.put("test/ndcg@10", finite(testNdcg));
    v.put("pairsUsed", finite(metrics.getOrDefault(FineTuningRound.PAIRS, Double.NaN)));
    v.put("trainSeconds", finite(metrics.getOrDefault(FineTuningRound.TRAIN_SECONDS, Double.NaN)));
    v.put("lastLoss", finite(metrics.getOrDefault(FineTuningRound.LAST_LOSS, Double.NaN)));
    v.put("gate", reason);
    Map<String, Object> all = new LinkedHashMap<>();
    metrics.forEach((name, value) -> all.put(name, finite(value)));
    v.put("metrics", all);
    return v;
  }

  private static Object finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
