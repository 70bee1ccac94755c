package io.twinstream.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A line chart of latency percentiles against offered load, written as a PNG with Java2D
 * (headless): one line per series, dashed horizontal lines for targets, a logarithmic millisecond
 * axis so that a 30 ms median and a 2 s tail both stay readable.
 */
final class LatencyChart {

  record Series(String name, Color color, double[] millis) {}

  record Target(String name, double millis) {}

  private static final int WIDTH = 900;
  private static final int HEIGHT = 520;
  private static final int LEFT = 80;
  private static final int RIGHT = 220;
  private static final int TOP = 50;
  private static final int BOTTOM = 70;

  private final String title;
  private final double[] loadPercent;
  private final List<Series> series = new ArrayList<>();
  private final List<Target> targets = new ArrayList<>();

  LatencyChart(String title, double[] loadPercent) {
    this.title = title;
    this.loadPercent = loadPercent.clone();
  }

  LatencyChart series(String name, Color color, double[] millis) {
    series.add(new Series(name, color, millis.clone()));
    return this;
  }

  LatencyChart target(String name, double millis) {
    targets.add(new Target(name, millis));
    return this;
  }

  void write(Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);
    double lo = 10;
    double hi = 100;
    for (Series s : series) {
      for (double v : s.millis()) {
        if (v > 0) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    double logLo = Math.floor(Math.log10(lo));
    double logHi = Math.ceil(Math.log10(hi));
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.setColor(Color.BLACK);
    g.drawString(title, LEFT, 28);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    // Grid: decades and 2x/5x lines on y, every load point on x.
    for (double d = logLo; d <= logHi; d++) {
      for (int m : new int[] {1, 2, 5}) {
        double v = m * Math.pow(10, d);
        if (Math.log10(v) > logHi) {
          break;
        }
        int y = y(v, logLo, logHi, plotH);
        g.setColor(m == 1 ? new Color(200, 200, 200) : new Color(235, 235, 235));
        g.drawLine(LEFT, y, LEFT + plotW, y);
        g.setColor(Color.DARK_GRAY);
        g.drawString(String.format(Locale.ROOT, "%,.0f ms", v), 10, y + 4);
      }
    }
    for (double p : loadPercent) {
      int x = x(p, plotW);
      g.setColor(new Color(235, 235, 235));
      g.drawLine(x, TOP, x, TOP + plotH);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format(Locale.ROOT, "%.0f%%", p), x - 10, TOP + plotH + 18);
    }
    g.drawString(
        "offered load, % of the measured maximum rate", LEFT + plotW / 2 - 130, HEIGHT - 20);
    g.setColor(Color.BLACK);
    g.drawRect(LEFT, TOP, plotW, plotH);
    int legendY = TOP + 10;
    for (Target t : targets) {
      int y = y(t.millis(), logLo, logHi, plotH);
      g.setColor(Color.RED);
      g.setStroke(
          new BasicStroke(
              1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
      g.drawLine(LEFT, y, LEFT + plotW, y);
      g.drawString(t.name(), LEFT + 6, y - 5);
    }
    for (Series s : series) {
      g.setColor(s.color());
      g.setStroke(new BasicStroke(2.5f));
      int px = -1;
      int py = -1;
      for (int i = 0; i < loadPercent.length && i < s.millis().length; i++) {
        int x = x(loadPercent[i], plotW);
        int y = y(Math.max(s.millis()[i], Math.pow(10, logLo)), logLo, logHi, plotH);
        g.fillOval(x - 4, y - 4, 8, 8);
        if (px >= 0) {
          g.drawLine(px, py, x, y);
        }
        px = x;
        py = y;
      }
      g.drawLine(LEFT + plotW + 10, legendY, LEFT + plotW + 35, legendY);
      g.drawString(s.name(), LEFT + plotW + 42, legendY + 4);
      legendY += 22;
    }
    g.dispose();
    ImageIO.write(image, "png", png.toFile());
  }

  /**
   * Draws the chart again from a report {@code StreamBenchmark} wrote (its curve table), e.g. to
   * put base and new runs side by side: {@code java -cp bench/target/benchmarks.jar
   * io.twinstream.bench.LatencyChart bench-results/stream-default.md out.png}.
   */
  public static void main(String[] args) throws IOException {
    List<String> lines = java.nio.file.Files.readAllLines(Path.of(args[0]));
    List<double[]> rows = new ArrayList<>();
    String title = "Stream embedder latency";
    for (String line : lines) {
      if (line.startsWith("Latency against offered load (")) {
        title =
            "Stream embedder latency, parallelism 1 ("
                + line.replaceAll(".*(100% = [0-9,]+ sentences/s).*", "$1")
                + ")";
      }
      if (line.matches("\\| [0-9]+% \\|.*")) {
        String[] cells = line.split("\\|");
        rows.add(
            new double[] {
              Double.parseDouble(cells[1].trim().replace("%", "")),
              Double.parseDouble(cells[4].trim().replace(",", "")),
              Double.parseDouble(cells[5].trim().replace(",", "")),
              Double.parseDouble(cells[6].trim().replace(",", "")),
              Double.parseDouble(cells[7].trim().replace(",", ""))
            });
      }
    }
    double[] load = rows.stream().mapToDouble(row -> row[0]).toArray();
    streamLatency(title, load, rows.toArray(double[][]::new), Path.of(args[1]));
  }

  /**
   * The stream benchmark's chart: {@code rows[i][1..4]} are emit p50, emit p99, visible p50 and
   * visible p99 at {@code load[i]} percent, drawn with the targets.
   */
  static void streamLatency(String title, double[] load, double[][] rows, Path png)
      throws IOException {
    double[][] columns = new double[5][rows.length];
    for (int i = 0; i < rows.length; i++) {
      for (int c = 1; c < 5; c++) {
        columns[c][i] = rows[i][c];
      }
    }
    new LatencyChart(title, load)
        .series("emit p50", new Color(120, 170, 230), columns[1])
        .series("emit p99", new Color(20, 80, 180), columns[2])
        .series("visible p50", new Color(250, 180, 100), columns[3])
        .series("visible p99", new Color(210, 100, 0), columns[4])
        .target("emit p99 target 100 ms", 100)
        .target("visible p99 target 150 ms", 150)
        .write(png);
  }

  private static int x(double percent, int plotW) {
    return LEFT + (int) Math.round(percent / 100.0 * plotW);
  }

  private static int y(double millis, double logLo, double logHi, int plotH) {
    double f = (Math.log10(millis) - logLo) / (logHi - logLo);
    return TOP + plotH - (int) Math.round(f * plotH);
  }
}
