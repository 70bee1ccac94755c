package io.twinstream.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StoreSpecTest {

  @Test
  void kindsAreNamedAsOptionsNameThemInAnyCase() {
    assertEquals(StoreKind.LUCENE, StoreKind.of("lucene"));
    assertEquals(StoreKind.PGVECTOR, StoreKind.of(" PgVector "));
    assertEquals("pgvector", StoreKind.PGVECTOR.toString());
  }

  @Test
  void anUnknownKindIsRefusedNamingTheKindsThereAre() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new StoreSpec("faiss", "/tmp/x", "", 384, "", ""));
    assertEquals("store.kind must be lucene or pgvector, got 'faiss'", e.getMessage());
  }

  @Test
  void pgvectorNeedsAJdbcUrl() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> StoreSpec.pgvector("postgres://db/x", "t", 384, "", ""));
    assertTrue(e.getMessage().contains("jdbc:postgresql://"), e.getMessage());
  }

  @Test
  void onlyTheEmbeddedStoreTakesOneWriter() {
    assertTrue(StoreKind.LUCENE.singleWriter());
    assertTrue(!StoreKind.PGVECTOR.singleWriter());
  }
}
