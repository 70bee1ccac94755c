package io.twinstream.lifecycle;

import io.twinstream.store.LuceneVectorStore;
import io.twinstream.store.VectorRow;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * What a controller lives in, for tests: a real embedded store in a directory, a documents "topic"
 * (a list of ids), a journal that outlives controllers, the registry's decisions, announcements and
 * a clock that moves when told.
 */
final class World implements AutoCloseable {

  static final int DIM = 4;

  final CountingStore store;
  final List<String> documents = new ArrayList<>();
  final Map<String, VersionRecord> journalRecords = new HashMap<>();
  final List<String> announced = new ArrayList<>();
  final Map<String, Integer> backfills = new HashMap<>();
  volatile Optional<String> decision = Optional.empty();
  Instant now = Instant.parse("2026-12-07T12:00:00Z");

  /** Journal writes left before one fails as a crash would (the write does not happen). */
  int crashAtWrite = -1;

  /** Documents a backfill writes before it fails (a killed job); -1 = never. */
  int failBackfillAfter = -1;

  /** Called during a backfill with the version and the documents written so far. */
  BiConsumer<String, Integer> duringBackfill = (v, n) -> {};

  World(Path dir, int documents) {
    this.store = new CountingStore(LuceneVectorStore.open(dir, DIM));
    for (int i = 0; i < documents; i++) {
      this.documents.add("doc-" + i);
    }
  }

  /** Thrown where a controller process would have died. */
  static final class Crash extends RuntimeException {
    Crash(String where) {
      super("crash " + where);
    }
  }

  LifecycleJournal journal() {
    return new LifecycleJournal() {
      @Override
      public Map<String, VersionRecord> read() {
        synchronized (journalRecords) {
          return Map.copyOf(journalRecords);
        }
      }

      @Override
      public void write(VersionRecord record) throws IOException {
        if (crashAtWrite == 0) {
          crashAtWrite = -1;
          throw new Crash("before recording " + record.version() + " " + record.phase());
        }
        if (crashAtWrite > 0) {
          crashAtWrite--;
        }
        synchronized (journalRecords) {
          journalRecords.put(record.version(), record);
        }
      }
    };
  }

  ServingDecisions decisions() {
    return new ServingDecisions() {
      @Override
      public Optional<String> serving() {
        return decision;
      }

      @Override
      public void await(Duration timeout) throws InterruptedException {
        Thread.sleep(Math.min(timeout.toMillis(), 20));
      }
    };
  }

  Backfiller backfiller() {
    return (version, progress) -> {
      backfills.merge(version, 1, Integer::sum);
      AtomicInteger written = new AtomicInteger();
      for (String id : documents) {
        if (failBackfillAfter >= 0 && written.get() >= failBackfillAfter) {
          failBackfillAfter = -1;
          throw new IllegalStateException("the backfill job of " + version + " failed");
        }
        store.upsert(List.of(new VectorRow(id, version, vector(id, version), 1)));
        int n = written.incrementAndGet();
        duringBackfill.accept(version, n);
        if (n % 10 == 0) {
          progress.update(store.count(version), documents.size());
        }
      }
      progress.update(store.count(version), documents.size());
      return new Backfiller.Result(documents.size(), Duration.ofMillis(5));
    };
  }

  Announcer announcer() {
    return record -> {
      synchronized (announced) {
        announced.add(record.version());
      }
    };
  }

  Clock clock() {
    return new Clock() {
      @Override
      public ZoneOffset getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return now;
      }
    };
  }

  LifecycleController controller(LifecycleController.Settings settings) {
    return new LifecycleController(
        settings,
        store,
        journal(),
        decisions(),
        backfiller(),
        announcer(),
        clock(),
        new LifecycleController.Listener() {});
  }

  VersionRecord record(String version) {
    synchronized (journalRecords) {
      return journalRecords.get(version);
    }
  }

  /** The embedding the fake model of {@code version} gives {@code id}. */
  static float[] vector(String id, String version) {
    int h = (id + "/" + version).hashCode();
    return new float[] {1 + (h & 7), 1 + ((h >> 3) & 7), 1 + ((h >> 6) & 7), 1};
  }

  /** Writes rows of {@code version} as an embedding job dual-writing would. */
  void jobWrites(String version, int documents) {
    for (int i = 0; i < documents; i++) {
      String id = this.documents.get(i);
      store.upsert(List.of(new VectorRow(id, version, vector(id, version), 2)));
    }
  }

  @Override
  public void close() {
    store.close();
  }
}
