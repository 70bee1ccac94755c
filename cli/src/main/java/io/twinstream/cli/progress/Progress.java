package io.twinstream.cli.progress;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress display on stderr, redrawn at most every 200 ms: a bar when the total is
 * known, counts and rate always. Disabled instances do nothing.
 */
public final class Progress {

  private static final long REDRAW_NANOS = 200_000_000L;

  private final PrintWriter out;
  private final boolean enabled;
  private final String label;
  private final long total;
  private final String unit;
  private final long started = System.nanoTime();
  private long lastDraw;
  private boolean drawn;

  /**
   * @param total units of work in all (e.g. bytes), or -1 when unknown
   */
  public Progress(PrintWriter out, boolean enabled, String label, long total) {
    this(out, enabled, label, total, "lines");
  }

  /**
   * @param total units of work in all (e.g. bytes), or -1 when unknown
   * @param unit what the counted items are ("lines", "pairs", "texts")
   */
  public Progress(PrintWriter out, boolean enabled, String label, long total, String unit) {
    this.unit = unit;
    this.out = out;
    this.enabled = enabled;
    this.label = label;
    this.total = total;
  }

  /**
   * Redraws if due: {@code done} units of {@code total}, {@code items} records so far, with a note.
   */
  public void update(long done, long items, String note) {
    draw(done, items, note, false);
  }

  /** Draws the final state, however recently the line was drawn. */
  public void complete(long done, long items, String note) {
    draw(done, items, note, true);
  }

  private void draw(long done, long items, String note, boolean force) {
    if (!enabled) {
      return;
    }
    long now = System.nanoTime();
    if (!force && drawn && now - lastDraw < REDRAW_NANOS) {
      return;
    }
    lastDraw = now;
    drawn = true;
    double seconds = Math.max(1e-9, (now - started) / 1e9);
    StringBuilder line = new StringBuilder("\r").append(label).append(' ');
    if (total > 0) {
      double fraction = Math.min(1.0, (double) done / total);
      int width = 30;
      int filled = (int) Math.round(fraction * width);
      line.append('[')
          .append("#".repeat(filled))
          .append(" ".repeat(width - filled))
          .append("] ")
          .append(String.format(Locale.ROOT, "%3d%% ", (int) (fraction * 100)));
    }
    line.append(String.format(Locale.ROOT, "%,d %s/s", (long) (items / seconds), unit))
        .append(String.format(Locale.ROOT, " | %,d %s", items, unit));
    if (note != null && !note.isEmpty()) {
      line.append(" | ").append(note);
    }
    line.append("   ");
    out.print(line);
    out.flush();
  }

  /** Ends the progress line. */
  public void finish() {
    if (enabled && drawn) {
      out.print("\r\033[K");
      out.flush();
    }
  }
}
