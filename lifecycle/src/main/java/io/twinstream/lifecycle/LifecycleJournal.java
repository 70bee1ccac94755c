package io.twinstream.lifecycle;

import java.io.IOException;
import java.util.Map;

/**
 * Where the lifecycle records what it did, durably: a version's last record is its state. A
 * controller restarted at any point reads it back and goes on from there ({@link Lifecycle}).
 */
public interface LifecycleJournal {

  /** The last record of every version recorded. */
  Map<String, VersionRecord> read() throws IOException;

  /**
   * Records {@code record} as its version's state; durable when this returns.
   *
   * @throws JournalTakenOver when another controller has taken the journal over
   */
  void write(VersionRecord record) throws IOException;

  /**
   * Confirms, before an effect on the store or the registry, that this controller still owns the
   * journal: a controller started later takes it over (the default, for a journal only one process
   * sees, confirms nothing).
   *
   * @throws JournalTakenOver when another controller has taken it over
   */
  default void claim() throws IOException {}

  /** A journal in this process's memory: for tests, and a run that keeps nothing. */
  static LifecycleJournal inMemory() {
    return new InMemoryJournal();
  }
}
