package io.twinstream.reliability;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What a case found: how many records went through, how many were lost or duplicated in the {@code
 * read_committed} output, and what else it noticed (a row of docs/reliability.md).
 *
 * @param scenario the case
 * @param injected what was done to the job
 * @param records records produced
 * @param lost records with no output (neither an embedding nor a dead letter where that applies)
 * @param duplicated outputs beyond one per record
 * @param notes other findings, in words
 * @param violations what broke the case's own promise (a job that failed, a bad model that
 *     served...), empty when it held
 * @param took wall time of the whole case
 */
record Outcome(
    String scenario,
    String injected,
    long records,
    long lost,
    long duplicated,
    String notes,
    List<String> violations,
    Duration took) {

  /** Nothing lost, nothing duplicated, nothing else broken. */
  boolean exactlyOnce() {
    return lost == 0 && duplicated == 0 && violations.isEmpty();
  }

  /** A Markdown table row: case, injected, records, lost, duplicated, notes, time. */
  String row() {
    return String.format(
        Locale.ROOT,
        "| %s | %s | %,d | %d | %d | %s | %.0f s |",
        scenario,
        injected,
        records,
        lost,
        duplicated,
        violations.isEmpty() ? notes : notes + "; VIOLATED: " + String.join("; ", violations),
        took.toMillis() / 1000.0);
  }

  @Override
  public String toString() {
    return row();
  }
}
