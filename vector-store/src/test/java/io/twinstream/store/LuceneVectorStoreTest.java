package io.twinstream.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded store, on disk in a temporary directory. */
class LuceneVectorStoreTest extends VectorStoreContract {

  @TempDir Path tmp;
  private final AtomicInteger stores = new AtomicInteger();
  private Path last;

  @Override
  VectorStore open() {
    last = tmp.resolve("store-" + stores.incrementAndGet());
    return LuceneVectorStore.open(last, DIM);
  }

  @Override
  VectorStore reopen(VectorStore store) {
    store.close();
    return LuceneVectorStore.open(last, DIM);
  }

  @Test
  void compactingMergesTheSegmentsOfManyUpsertsAndFindsTheSame() {
    try (LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("compacted"), DIM)) {
      List<VectorRow> rows = rows("v1", 300, 9);
      for (int from = 0; from < rows.size(); from += 30) {
        store.upsert(rows.subList(from, from + 30)); // a commit, hence a segment, each
      }
      float[] query = rows.get(17).vector();
      List<Hit> before = store.search("v1", query, 5);
      assertTrue(store.segments() > 1, "segments before: " + store.segments());
      store.compact();
      assertEquals(1, store.segments());
      assertEquals(before, store.search("v1", query, 5));
      assertEquals(300, store.count("v1"));
    }
  }

  @Test
  void aSecondWriterOnTheSameDirectoryIsRefusedNamingIt() {
    try (VectorStore store = open()) {
      UncheckedIOException e =
          assertThrows(UncheckedIOException.class, () -> LuceneVectorStore.open(last, DIM));
      assertTrue(e.getMessage().contains(last.toString()), e.getMessage());
    }
  }

  @Test
  void aVersionOfAFewThousandRowsIsSearchedExactlyWhateverItsSegments() {
    try (LuceneVectorStore store = LuceneVectorStore.open(tmp.resolve("exact"), DIM)) {
      List<VectorRow> rows = rows("v1", 3_000, 11);
      for (int from = 0; from < rows.size(); from += 100) {
        store.upsert(rows.subList(from, from + 100)); // thirty segments
      }
      for (int q = 0; q < 20; q++) {
        float[] query = rows.get(q * 97).vector().clone();
        query[q % DIM] += 0.3f;
        assertEquals(
            bruteForce(rows, query, 10),
            store.search("v1", query, 10).stream().map(Hit::id).toList());
      }
    }
  }

  @Test
  void aSharedStoreIsOneWriterForEveryHandleOfTheProcess() {
    Path dir = tmp.resolve("shared");
    VectorStore first = SharedLuceneStores.open(dir, DIM);
    VectorStore second = SharedLuceneStores.open(dir, DIM);
    second.upsert(rows("v1", 3, 1));
    assertEquals(3, first.count("v1"), "one store: what one handle writes the other sees");
    second.close();
    assertEquals(3, first.count("v1"), "open while a handle is");
    first.close();
    try (LuceneVectorStore reopened = LuceneVectorStore.open(dir, DIM)) {
      assertEquals(3, reopened.count("v1"), "the last handle closed the writer: the lock is free");
    }
  }
}
