package io.twinstream.cli.demo;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Locale;

/**
 * What the demo saw of one version in the vector store: how it was filled (by the stream, or by the
 * lifecycle's backfill, at what rate), its cut-over, when it was served, and at the end its rows
 * and the searches made against it. Facts not (yet) known are null and left out of the report.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class StoredVersion {

  /** How a version got its rows. */
  public enum FilledBy {
    stream,
    backfill
  }

  private FilledBy filledBy;
  private Double fillSeconds;
  private Long backfillRecords;
  private Double backfillRecordsPerSecond;
  private Double cutOverMillis;
  private Double servedAfterSeconds;
  private Long rows;
  private Long searches;

  synchronized void streamed(double seconds) {
    filledBy = FilledBy.stream;
    fillSeconds = seconds;
  }

  synchronized void backfilled(long records, double seconds) {
    filledBy = FilledBy.backfill;
    fillSeconds = seconds;
    backfillRecords = records;
    backfillRecordsPerSecond = records / Math.max(1e-9, seconds);
  }

  synchronized void cutOver(double millis) {
    cutOverMillis = millis;
  }

  synchronized void served(double afterSeconds) {
    servedAfterSeconds = afterSeconds;
  }

  synchronized void ended(long rows, long searches) {
    this.rows = rows;
    this.searches = searches;
  }

  /** The cut-over's duration, NaN before it. */
  public synchronized double cutOverMillis() {
    return cutOverMillis == null ? Double.NaN : cutOverMillis;
  }

  /** The console line of the version. */
  public synchronized String line(String version) {
    boolean backfill = filledBy == FilledBy.backfill;
    return String.format(
        Locale.ROOT,
        "store   %-24s %6d rows  %s in %.1f s%s  cut over in %.1f ms  %d searches",
        version,
        rows == null ? 0 : rows,
        backfill ? "backfilled" : "streamed  ",
        fillSeconds == null ? Double.NaN : fillSeconds,
        backfill ? String.format(Locale.ROOT, " (%.1f docs/s)", backfillRecordsPerSecond) : "",
        cutOverMillis(),
        searches == null ? 0 : searches);
  }

  @Override
  public synchronized String toString() {
    return "filled by "
        + filledBy
        + " in "
        + fillSeconds
        + " s, cut over in "
        + cutOverMillis
        + " ms, served after "
        + servedAfterSeconds
        + " s";
  }
}
