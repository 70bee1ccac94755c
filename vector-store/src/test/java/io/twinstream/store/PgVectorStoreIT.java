package io.twinstream.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pgvector store against a real PostgreSQL 18 with pgvector 0.8 (PGlite, started here), a table
 * per test.
 */
class PgVectorStoreIT extends VectorStoreContract {

  private static PgliteServer server;
  private final AtomicInteger tables = new AtomicInteger();
  private String last;

  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    server = PgliteServer.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Override
  VectorStore open() {
    last = "vectors_" + System.identityHashCode(this) + "_" + tables.incrementAndGet();
    return PgVectorStore.open(server.jdbcUrl(), server.properties(), last, DIM);
  }

  @Override
  VectorStore reopen(VectorStore store) {
    store.close();
    return PgVectorStore.open(server.jdbcUrl(), server.properties(), last, DIM);
  }

  @Test
  void aTableOfOtherDimensionsIsRefusedNamingIt() {
    try (VectorStore store = open()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> PgVectorStore.open(server.jdbcUrl(), server.properties(), last, DIM + 1));
      assertTrue(
          e.getMessage().contains(last) && e.getMessage().contains("" + DIM), e.getMessage());
    }
  }

  @Test
  void aStoreThatGoesDownFailsClearlyAndCarriesOnWhenItIsBack() throws Exception {
    Path data = tmp.resolve("pgdata");
    int port = PgliteServer.freePort();
    PgliteServer own = PgliteServer.start(data, port);
    VectorStore store = PgVectorStore.open(own.jdbcUrl(), own.properties(), "restarted", DIM);
    try {
      assertEquals(10, store.upsert(rows("v1", 10, 1)));
      own.close();
      VectorStoreException down =
          assertThrows(VectorStoreException.class, () -> store.upsert(rows("v1", 10, 2)));
      assertTrue(down.getMessage().contains("restarted"), down.getMessage());
      own = PgliteServer.start(data, port);
      assertEquals(10, store.upsert(rows("v1", 10, 2)), "the same call, retried, goes through");
      assertEquals(10, store.count("v1"));
      assertEquals(
          rows("v1", 10, 2).get(4), store.get("d4", "v1").orElseThrow(), "the retried rows");
      assertEquals(List.of("v1"), List.copyOf(store.versions().keySet()));
    } finally {
      store.close();
      own.close();
    }
  }
}
