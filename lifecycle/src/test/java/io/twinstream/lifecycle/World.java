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
  private volatile Optional<String> decision = Optional.empty();
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

  private int owner;

  /**
   * A journal that, as Kafka's transactional producer does, takes the journal over from every one
   * opened before it: theirs throw {@link JournalTakenOver} from then on.
   */
  LifecycleJournal ownedJournal() {
    LifecycleJournal shared = journal();
    int mine;
    synchronized (journalRecords) {
      mine = ++owner;
    }
    return new LifecycleJournal() {
      @Override
      public Map<String, VersionRecord> read() throws IOException {
        return shared.read();
      }

      @Override
      public void write(VersionRecord record) throws IOException {
        claim();
        shared.write(record);
      }

      @Override
      public void claim() throws IOException {
        synchronized (journalRecords) {
          if (owner != mine) {
            throw new JournalTakenOver("journal " + mine + " was taken over by " + owner, null);
          }
        }
      }
    };
  }

  /** A controller on a journal of its own ({@link #ownedJournal()}). */
  LifecycleController ownedController(
      LifecycleController.Settings settings, LifecycleController.Listener listener) {
    return new LifecycleController(
        settings, store, ownedJournal(), decisions(), backfiller(), announcer(), clock(), listener);
  }

  /** The registry decides to serve {@code version} (PROMOTED or ROLLED_BACK). */
  synchronized void decide(String version) {
    decision = Optional.of(version);
    notifyAll();
  }

  /** Waits up to 30 s until {@code version} is announced FULLY_SERVED. */
  void awaitAnnounced(String version) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    synchronized (announced) {
      while (!announced.contains(version)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(version + " not announced within 30 s: " + announced);
        }
        announced.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  ServingDecisions decisions() {
    return new ServingDecisions() {
      @Override
      public Optional<String> serving() {
        return decision;
      }

      @Override
      public void await(Duration timeout) throws InterruptedException {
        synchronized (World.this) {
          Optional<String> before = decision;
          if (before.equals(decision)) {
            World.this.wait(Math.max(1, Math.min(timeout.toMillis(), 50)));
          }
        }
      }
    };
  }

  Backfiller backfiller() {
    return new Backfiller() {
      @Override
      public Result backfill(String version, Progress progress) {
        return World.this.backfill(version, progress);
      }

      @Override
      public boolean complete(String version) {
        return List.copyOf(documents).stream().allMatch(id -> store.get(id, version).isPresent());
      }
    };
  }

  private Backfiller.Result backfill(String version, Backfiller.Progress progress) {
    {
      backfills.merge(version, 1, Integer::sum);
      int written = 0;
      List<VectorRow> batch = new ArrayList<>();
      for (String id : List.copyOf(documents)) {
        if (failBackfillAfter >= 0 && written >= failBackfillAfter) {
          failBackfillAfter = -1;
          throw new IllegalStateException("the backfill job of " + version + " failed");
        }
        batch.add(new VectorRow(id, version, vector(id, version), 1));
        written++;
        if (written % 10 == 0) { // a batch per progress report, as the backfill's sink writes
          store.upsert(batch);
          batch.clear();
          duringBackfill.accept(version, written);
          progress.update(store.count(version), documents.size());
        }
      }
      if (!batch.isEmpty()) {
        store.upsert(batch);
      }
      progress.update(store.count(version), documents.size());
      return new Backfiller.Result(documents.size(), Duration.ofMillis(5));
    }
  }

  Announcer announcer() {
    return record -> {
      synchronized (announced) {
        announced.add(record.version());
        announced.notifyAll();
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
    return controller(settings, new LifecycleController.Listener() {});
  }

  LifecycleController controller(
      LifecycleController.Settings settings, LifecycleController.Listener listener) {
    return new LifecycleController(
        settings, store, journal(), decisions(), backfiller(), announcer(), clock(), listener);
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
    List<VectorRow> rows = new ArrayList<>();
    for (int i = 0; i < documents; i++) {
      String id = this.documents.get(i);
      rows.add(new VectorRow(id, version, vector(id, version), 2));
    }
    store.upsert(rows);
  }

  @Override
  public void close() {
    store.close();
  }
}
