package io.twinstream.lifecycle;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@link LifecycleJournal#inMemory()}. */
final class InMemoryJournal implements LifecycleJournal {

  private final Map<String, VersionRecord> records = new LinkedHashMap<>();

  @Override
  public synchronized Map<String, VersionRecord> read() {
    return Map.copyOf(records);
  }

  @Override
  public synchronized void write(VersionRecord record) {
    records.put(record.version(), record);
  }
}
