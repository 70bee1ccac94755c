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

  /** The JSON report. */
  @com.fasterxml.jackson.annotation.JsonPropertyOrder({
    "task",
    "metric",
    "versions",
    "testByClicks",
    "topics",
    "joiner",
    "store",
    "registry"
  })
  public record Document(
      DemoSummaries.Task task,
      String metric,
      List<VersionRow> versions,
      ClickScores testByClicks,
      Map<String, DemoSummaries.TopicFlow> topics,
      DemoSummaries.Joiner joiner,
      DemoSummaries.Store store,
      String registry) {}

  private final List<VersionRow> versions = new ArrayList<>();
  private final Map<String, TestScores> scores = new LinkedHashMap<>();
  private DemoSummaries.Store store = DemoSummaries.Store.none();
  private ClickScores byClicks = ClickScores.none();

  /** The vector store's part: rows, fill and cut-over per version, searches, mixed searches. */
  public void store(DemoSummaries.Store summary) {
    this.store = summary;
  }

  /** The base model's row. */
  public VersionRow base(String version, TestScores test) {
    VersionRow row = VersionRow.base(version, test.mean());
    versions.add(row);
    scores.put(version, test);
    return row;
  }

  /**
   * A round's row: its update, the new version's test nDCG@10, feedback-sent-to-update seconds and
   * the feedback its users gave.
   */
  public VersionRow round(
      ModelUpdate update,
      TestScores test,
      double roundSeconds,
      RoundFeedback feedback,
      BridgedSearches bridge) {
    VersionRow row =
        VersionRow.round(
            update, test == null ? Double.NaN : test.mean(), roundSeconds, feedback, bridge);
    if (test != null) {
      scores.put(update.getVersion(), test);
    }
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
    List<ClickScores.Row> rows = new ArrayList<>();
    for (VersionRow v : versions) {
      TestScores t = scores.get(v.version());
      if (t == null) {
        continue;
      }
      StringBuilder line =
          new StringBuilder(String.format(Locale.ROOT, "%-32s %-9s", v.version(), v.status()));
      Map<String, Double> means = new LinkedHashMap<>();
      parts.forEach(
          (name, ids) -> {
            double mean = t.mean(ids);
            line.append(String.format(Locale.ROOT, " %16.4f", mean));
            means.put(name, VersionRow.finite(mean));
          });
      lines.add(line.toString());
      rows.add(new ClickScores.Row(v.version(), v.status(), means));
    }
    Map<String, Integer> counts = new LinkedHashMap<>();
    parts.forEach((name, ids) -> counts.put(name, ids.size()));
    byClicks = new ClickScores(clicked.size(), counts, rows);
    return lines;
  }

  /** The rows so far. */
  public List<VersionRow> versions() {
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
      DemoSummaries.Task task,
      Map<String, DemoSummaries.TopicFlow> topics,
      DemoSummaries.Joiner joiner,
      String registry)
      throws IOException {
    if (report != null) {
      createParent(report);
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(
              report.toFile(),
              new Document(task, METRIC, versions, byClicks, topics, joiner, store, registry));
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
}
