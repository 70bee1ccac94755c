package io.twinstream.cli.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A self-contained HTML page (inline SVG, no scripts) charting test nDCG@10 and last loss per model
 * version.
 */
public final class Chart {

  private Chart() {}

  public static String html(List<VersionRow> versions) {
    int w = 720;
    int h = 300;
    int left = 60;
    int right = 60;
    int top = 30;
    int bottom = 70;
    int n = versions.size();
    double xStep = n > 1 ? (w - left - right) / (double) (n - 1) : 0;
    List<Double> ndcg = new ArrayList<>();
    List<Double> loss = new ArrayList<>();
    for (VersionRow v : versions) {
      ndcg.add(number(v.testNdcg()));
      loss.add(number(v.lastLoss()));
    }
    double maxLoss =
        loss.stream().filter(Double::isFinite).mapToDouble(Double::doubleValue).max().orElse(1.0);
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                + "font-family='sans-serif' font-size='12'>%n",
            w,
            h));
    svg.append(
        String.format(
            Locale.ROOT,
            "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#999'/>%n",
            left,
            h - bottom,
            w - right,
            h - bottom));
    for (int t = 0; t <= 4; t++) {
      double value = t / 4.0;
      double y = h - bottom - value * (h - top - bottom);
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#eee'/>"
                  + "<text x='%d' y='%.1f' text-anchor='end' fill='#1f77b4'>%.2f</text>"
                  + "<text x='%d' y='%.1f' fill='#d62728'>%.2f</text>%n",
              left,
              y,
              w - right,
              y,
              left - 6,
              y + 4,
              value,
              w - right + 6,
              y + 4,
              value * maxLoss));
    }
    series(svg, ndcg, 1.0, left, xStep, h, top, bottom, "#1f77b4");
    series(svg, loss, maxLoss, left, xStep, h, top, bottom, "#d62728");
    for (int i = 0; i < n; i++) {
      VersionRow v = versions.get(i);
      double x = left + i * xStep;
      String status = v.status();
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x='%.1f' y='%d' text-anchor='middle'>%s</text>"
                  + "<text x='%.1f' y='%d' text-anchor='middle' fill='%s'>%s</text>%n",
              x,
              h - bottom + 18,
              escape(v.version()),
              x,
              h - bottom + 34,
              status.equals("REJECTED") ? "#d62728" : "#2ca02c",
              escape(status)));
    }
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x='%d' y='18' fill='#1f77b4'>test nDCG@10 (left axis)</text>"
                + "<text x='%d' y='18' text-anchor='end' fill='#d62728'>last training loss (right axis)</text>%n",
            left,
            w - right));
    svg.append("</svg>");
    return "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>twinstream demo</title></head><body>\n"
        + "<h1>twinstream demo: model versions</h1>\n"
        + svg
        + "\n<p>nDCG@10 on test queries that were never trained or gated on; rejected versions never served.</p>"
        + "\n</body></html>\n";
  }

  private static void series(
      StringBuilder svg,
      List<Double> values,
      double max,
      int left,
      double xStep,
      int h,
      int top,
      int bottom,
      String colour) {
    StringBuilder points = new StringBuilder();
    for (int i = 0; i < values.size(); i++) {
      double v = values.get(i);
      if (!Double.isFinite(v)) {
        continue;
      }
      double x = left + i * xStep;
      double y = h - bottom - v / max * (h - top - bottom);
      points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      svg.append(
          String.format(
              Locale.ROOT,
              "<circle cx='%.1f' cy='%.1f' r='4' fill='%s'><title>%.4f</title>" + "</circle>%n",
              x,
              y,
              colour,
              v));
    }
    svg.append(
        String.format(
            Locale.ROOT,
            "<polyline points='%s' fill='none' stroke='%s' stroke-width='2'/>%n",
            points.toString().trim(),
            colour));
  }

  private static double number(Double d) {
    return d == null ? Double.NaN : d;
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
  }
}
