package io.twinstream.store;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Path;
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
  void aSecondWriterOnTheSameDirectoryIsRefusedNamingIt() {
    try (VectorStore store = open()) {
      UncheckedIOException e =
          assertThrows(UncheckedIOException.class, () -> LuceneVectorStore.open(last, DIM));
      assertTrue(e.getMessage().contains(last.toString()), e.getMessage());
    }
  }
}
