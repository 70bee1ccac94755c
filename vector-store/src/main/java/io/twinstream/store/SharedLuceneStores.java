package io.twinstream.store;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One {@link LuceneVectorStore} per directory per process, shared by whoever opens it: Lucene lets
 * one writer hold a directory, and in the one-machine setup the store sink, a backfill and the
 * searches run in the same JVM. Each {@link #open} returns a handle; the store closes when the last
 * handle does. Another process opening the same directory still fails on Lucene's write lock (use
 * pgvector for a store shared by processes).
 */
public final class SharedLuceneStores {

  private static final Map<Path, Entry> OPEN = new HashMap<>();

  private SharedLuceneStores() {}

  private static final class Entry {
    final LuceneVectorStore store;
    int handles;

    Entry(LuceneVectorStore store) {
      this.store = store;
    }
  }

  /**
   * A handle on the store in {@code path}, opening it if no handle is open.
   *
   * @throws IllegalArgumentException when it is open with other dimensions
   */
  public static VectorStore open(Path path, int dimensions) {
    Path key = path.toAbsolutePath().normalize();
    synchronized (OPEN) {
      Entry entry = OPEN.get(key);
      if (entry == null) {
        entry = new Entry(LuceneVectorStore.open(key, dimensions));
        OPEN.put(key, entry);
      } else if (entry.store.dimensions() != dimensions) {
        throw new IllegalArgumentException(
            "the vector store in "
                + key
                + " is open with "
                + entry.store.dimensions()
                + " dimensions, not "
                + dimensions);
      }
      entry.handles++;
      return new Handle(key, entry.store);
    }
  }

  private static void release(Path key) {
    synchronized (OPEN) {
      Entry entry = OPEN.get(key);
      if (entry != null && --entry.handles == 0) {
        OPEN.remove(key);
        entry.store.close();
      }
    }
  }

  /** A handle: the shared store's methods, and a close of its own. */
  private static final class Handle implements VectorStore {
    private final Path key;
    private final LuceneVectorStore store;
    private boolean closed;

    Handle(Path key, LuceneVectorStore store) {
      this.key = key;
      this.store = store;
    }

    @Override
    public int dimensions() {
      return store.dimensions();
    }

    @Override
    public int upsert(List<VectorRow> rows) {
      return store.upsert(rows);
    }

    @Override
    public Optional<VectorRow> get(String id, String version) {
      return store.get(id, version);
    }

    @Override
    public long delete(String id) {
      return store.delete(id);
    }

    @Override
    public long delete(List<Deletion> deletions) {
      return store.delete(deletions);
    }

    @Override
    public List<Hit> search(String version, float[] query, int k, Map<String, String> filter) {
      return store.search(version, query, k, filter);
    }

    @Override
    public ServedHits searchServing(float[] query, int k) {
      return store.searchServing(query, k);
    }

    @Override
    public Optional<String> servingVersion() {
      return store.servingVersion();
    }

    @Override
    public void cutOver(String version) {
      store.cutOver(version);
    }

    @Override
    public long count(String version) {
      return store.count(version);
    }

    @Override
    public Map<String, Long> versions() {
      return store.versions();
    }

    @Override
    public long dropVersion(String version) {
      return store.dropVersion(version);
    }

    @Override
    public void compact() {
      store.compact();
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        release(key);
      }
    }

    @Override
    public String toString() {
      return "lucene " + key;
    }
  }
}
