package io.twinstream.lifecycle;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What the lifecycle knows of one version, as the journal keeps it: the last record of a version is
 * its state. Times are null where the version has not been there (yet).
 *
 * @param version the model version
 * @param phase where it is
 * @param at when it entered {@code phase}
 * @param backfillStarted when its (first) backfill started
 * @param backfillFinished when its backfill completed
 * @param rows its rows in the store when last recorded
 * @param documents documents its backfill read (records of the documents topic)
 * @param cutOver when the store started searching it
 * @param dropDue when its rows go (RETIRED); null = kept until someone drops them
 * @param note why, in words (what replaced it, what the registry decided)
 */
public record VersionRecord(
    String version,
    Phase phase,
    Instant at,
    Instant backfillStarted,
    Instant backfillFinished,
    long rows,
    long documents,
    Instant cutOver,
    Instant dropDue,
    String note) {

  public VersionRecord {
    if (version == null || version.isBlank()) {
      throw new IllegalArgumentException("a version record needs a version");
    }
    if (phase == null || at == null) {
      throw new IllegalArgumentException("the record of " + version + " needs a phase and a time");
    }
    note = note == null ? "" : note;
  }

  /** A version whose backfill starts now. */
  public static VersionRecord backfilling(String version, Instant now) {
    return new VersionRecord(version, Phase.BACKFILLING, now, now, null, 0, 0, null, null, "");
  }

  /** A version the store already searches, first seen by the lifecycle now. */
  public static VersionRecord found(String version, Phase phase, Instant now, long rows) {
    return new VersionRecord(version, phase, now, null, null, rows, 0, null, null, "");
  }

  /** This record's backfill resumed (after a restart or a failure): same start, phase again. */
  public VersionRecord resumed(Instant now) {
    return new VersionRecord(
        version,
        Phase.BACKFILLING,
        now,
        backfillStarted == null ? now : backfillStarted,
        null,
        rows,
        documents,
        null,
        null,
        "resumed: its backfill started at "
            + (backfillStarted == null ? now : backfillStarted)
            + " and did not complete");
  }

  /** Its backfill completed now (a resumed one keeps saying so). */
  public VersionRecord backfilled(Instant now, long rows, long documents) {
    return new VersionRecord(
        version,
        Phase.BACKFILLED,
        now,
        backfillStarted,
        now,
        rows,
        documents,
        null,
        null,
        note.startsWith("resumed") ? note : "");
  }

  /** The store was cut over to it now. */
  public VersionRecord servingSince(Instant now, long rows, String previous) {
    return new VersionRecord(
        version,
        Phase.SERVING,
        now,
        backfillStarted,
        backfillFinished,
        rows,
        documents,
        now,
        null,
        previous == null ? note : "replaces " + previous);
  }

  /** FULLY_SERVED was announced now. */
  public VersionRecord fullyServed(Instant now) {
    return new VersionRecord(
        version,
        Phase.FULLY_SERVED,
        now,
        backfillStarted,
        backfillFinished,
        rows,
        documents,
        cutOver == null ? now : cutOver,
        null,
        note);
  }

  /** Another version serves from now on; its rows go after {@code grace} (empty = kept). */
  public VersionRecord retired(Instant now, long rows, Optional<Duration> grace, String why) {
    return new VersionRecord(
        version,
        Phase.RETIRED,
        now,
        backfillStarted,
        backfillFinished,
        rows,
        documents,
        cutOver,
        grace.map(now::plus).orElse(null),
        why);
  }

  /** Its rows were dropped now. */
  public VersionRecord dropped(Instant now, long droppedRows) {
    return new VersionRecord(
        version,
        Phase.DROPPED,
        now,
        backfillStarted,
        backfillFinished,
        0,
        documents,
        cutOver,
        dropDue,
        droppedRows + " rows dropped");
  }

  /** Its backfill was given up now. */
  public VersionRecord abandoned(Instant now, long droppedRows, String why) {
    return new VersionRecord(
        version,
        Phase.ABANDONED,
        now,
        backfillStarted,
        null,
        0,
        documents,
        cutOver,
        null,
        why + "; " + droppedRows + " rows dropped");
  }

  /** This record with {@code note}. */
  public VersionRecord noted(String note) {
    return new VersionRecord(
        version,
        phase,
        at,
        backfillStarted,
        backfillFinished,
        rows,
        documents,
        cutOver,
        dropDue,
        note);
  }

  /** When its rows go, if they do. */
  public Optional<Instant> dropAt() {
    return Optional.ofNullable(dropDue);
  }
}
