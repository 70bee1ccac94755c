package io.twinstream.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What every {@link VectorStore} must do, run against each real store by a subclass that opens a
 * fresh, empty one per test (and can reopen it).
 */
abstract class VectorStoreContract {

  static final int DIM = 16;

  /** A new, empty store. */
  abstract VectorStore open();

  /** The same store as {@code store}, closed and opened again. */
  abstract VectorStore reopen(VectorStore store);

  static float[] random(Random r) {
    float[] v = new float[DIM];
    for (int i = 0; i < DIM; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  /** A query with a direction (a zero vector has none: cosine is undefined for it). */
  static float[] ones() {
    float[] v = new float[DIM];
    java.util.Arrays.fill(v, 1f);
    return v;
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  static List<VectorRow> rows(String version, int n, long seed) {
    Random r = new Random(seed);
    List<VectorRow> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(new VectorRow("d" + i, version, random(r), Map.of("n", "" + i), 100 + i));
    }
    return rows;
  }

  /** The exact top k by cosine. */
  static List<String> bruteForce(List<VectorRow> rows, float[] query, int k) {
    return rows.stream()
        .sorted(Comparator.comparingDouble((VectorRow row) -> -cosine(row.vector(), query)))
        .limit(k)
        .map(VectorRow::id)
        .toList();
  }

  @Test
  void aFilteredSearchFindsTheNearestRowsWhoseAttributesMatchOnly() {
    try (VectorStore store = open()) {
      Random r = new Random(5);
      List<VectorRow> rows = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String lang = i % 4 == 0 ? "fr" : "en";
        rows.add(new VectorRow("d" + i, "v1", random(r), Map.of("lang", lang), 1));
      }
      store.upsert(rows);
      float[] query = rows.get(3).vector(); // an English row: the French ones are all further
      List<VectorRow> french =
          rows.stream().filter(row -> row.attributes().get("lang").equals("fr")).toList();
      List<String> found =
          store.search("v1", query, 10, Map.of("lang", "fr")).stream().map(Hit::id).toList();
      assertEquals(10, found.size(), "k hits when k rows match: " + found);
      Set<String> frenchIds = new HashSet<>();
      french.forEach(row -> frenchIds.add(row.id()));
      assertTrue(frenchIds.containsAll(found), "only French rows: " + found);
      Set<String> overlap = new HashSet<>(bruteForce(french, query, 10));
      overlap.retainAll(found);
      assertTrue(overlap.size() >= 9, "the nearest French rows: " + found);
      assertEquals(List.of(), store.search("v1", query, 10, Map.of("lang", "de")));
      assertEquals("d3", store.search("v1", query, 1).get(0).id(), "unfiltered: itself");
    }
  }

  @Test
  void aSearchFindsTheNearestRowsOfItsVersionOnlyWithTheirCosine() {
    try (VectorStore store = open()) {
      List<VectorRow> v1 = rows("v1", 50, 1);
      List<VectorRow> v2 = rows("v2", 50, 2); // the same ids, other vectors
      assertEquals(50, store.upsert(v1));
      assertEquals(50, store.upsert(v2));
      float[] query = v1.get(7).vector();
      List<Hit> hits = store.search("v1", query, 5);
      assertEquals(5, hits.size());
      assertEquals("d7", hits.get(0).id());
      assertEquals(1.0, hits.get(0).score(), 1e-4);
      assertEquals(bruteForce(v1, query, 5), hits.stream().map(Hit::id).toList());
      Map<String, float[]> byId = new HashMap<>();
      v1.forEach(r -> byId.put(r.id(), r.vector()));
      for (Hit h : hits) {
        assertEquals(cosine(byId.get(h.id()), query), h.score(), 1e-4, h.id());
      }
      assertEquals(
          bruteForce(v2, query, 5),
          store.search("v2", query, 5).stream().map(Hit::id).toList(),
          "v2's own vectors rank v2's search");
      assertEquals(List.of(), store.search("v3", query, 5), "an unknown version has no rows");
      assertEquals(Map.of("v1", 50L, "v2", 50L), store.versions());
    }
  }

  @Test
  void aReplayedOrOlderUpsertNeverReplacesANewerRow() {
    try (VectorStore store = open()) {
      Random r = new Random(3);
      VectorRow newer = new VectorRow("doc", "v1", random(r), Map.of("text", "new"), 50);
      VectorRow older = new VectorRow("doc", "v1", random(r), Map.of("text", "old"), 40);
      assertEquals(1, store.upsert(List.of(newer)));
      assertEquals(0, store.upsert(List.of(older)), "an older source position is refused");
      assertEquals(Optional.of(newer), store.get("doc", "v1"));
      assertEquals(1, store.upsert(List.of(newer)), "a replay of the same row is harmless");
      assertEquals(Optional.of(newer), store.get("doc", "v1"));
      VectorRow newest = new VectorRow("doc", "v1", random(r), Map.of(), 60);
      VectorRow stale = new VectorRow("doc", "v1", random(r), Map.of(), 55);
      assertEquals(1, store.upsert(List.of(newest, stale)), "out of order within one batch");
      assertEquals(Optional.of(newest), store.get("doc", "v1"));
      assertEquals(1, store.count("v1"), "one row per (id, version) whatever was replayed");
    }
  }

  @Test
  void theServingVersionSwitchesOnCutOverAndSurvivesAReopen() {
    VectorStore store = open();
    try {
      assertEquals(Optional.empty(), store.servingVersion());
      VectorStore empty = store;
      assertThrows(IllegalStateException.class, () -> empty.searchServing(ones(), 3));
      store.upsert(rows("v1", 20, 1));
      store.upsert(rows("v2", 20, 2));
      store.cutOver("v1");
      assertEquals("v1", store.searchServing(rows("v1", 1, 1).get(0).vector(), 3).version());
      store.cutOver("v2");
      store = reopen(store);
      assertEquals(Optional.of("v2"), store.servingVersion());
      ServedHits served = store.searchServing(rows("v2", 1, 2).get(0).vector(), 3);
      assertEquals("v2", served.version());
      assertEquals("d0", served.hits().get(0).id());
      store.cutOver("v1"); // a rollback: to a version still kept
      assertEquals(Optional.of("v1"), store.servingVersion());
    } finally {
      store.close();
    }
  }

  @Test
  void aVersionWithoutRowsCannotServeAndTheServingVersionCannotBeDropped() {
    try (VectorStore store = open()) {
      store.upsert(rows("v1", 10, 1));
      store.upsert(rows("v2", 10, 2));
      IllegalArgumentException empty =
          assertThrows(IllegalArgumentException.class, () -> store.cutOver("v3"));
      assertTrue(empty.getMessage().contains("v3"), empty.getMessage());
      store.cutOver("v2");
      IllegalArgumentException serving =
          assertThrows(IllegalArgumentException.class, () -> store.dropVersion("v2"));
      assertTrue(serving.getMessage().contains("serving"), serving.getMessage());
      assertEquals(10, store.dropVersion("v1"));
      assertEquals(Map.of("v2", 10L), store.versions());
      assertEquals(List.of(), store.search("v1", ones(), 3));
    }
  }

  @Test
  void deletingADocumentRemovesItUnderEveryVersion() {
    try (VectorStore store = open()) {
      store.upsert(rows("v1", 5, 1));
      store.upsert(rows("v2", 5, 2));
      assertEquals(2, store.delete("d3"));
      assertEquals(Optional.empty(), store.get("d3", "v1"));
      assertEquals(Map.of("v1", 4L, "v2", 4L), store.versions());
    }
  }

  @Test
  void aTombstoneDeletesTheDocumentUnderEveryVersionAndKeepsOlderWritesOut() {
    VectorStore store = open();
    try {
      Random r = new Random(5);
      store.upsert(rows("v1", 5, 1)); // sequences 100..104
      store.upsert(rows("v2", 5, 2));
      assertEquals(2, store.delete(List.of(new Deletion("d3", 200))));
      assertEquals(Map.of("v1", 4L, "v2", 4L), store.versions());
      VectorRow replayed = new VectorRow("d3", "v1", random(r), Map.of(), 103);
      VectorRow late = new VectorRow("d3", "v3", random(r), Map.of(), 200);
      assertEquals(
          0, store.upsert(List.of(replayed, late)), "older than the tombstone, in any version");
      store = reopen(store);
      assertEquals(0, store.upsert(List.of(replayed)), "the tombstone survives a reopen");
      assertEquals(Optional.empty(), store.get("d3", "v1"));
      VectorRow rewritten = new VectorRow("d3", "v1", random(r), Map.of(), 201);
      assertEquals(1, store.upsert(List.of(rewritten)), "written again after its deletion");
      assertEquals(Optional.of(rewritten), store.get("d3", "v1"));
      assertEquals(0, store.delete(List.of(new Deletion("d3", 150))), "a replayed older tombstone");
      assertEquals(Optional.of(rewritten), store.get("d3", "v1"));
    } finally {
      store.close();
    }
  }

  @Test
  void aTombstoneKeepsRowsNewerThanItselfAndAppliesInOneCallForManyDocuments() {
    try (VectorStore store = open()) {
      Random r = new Random(6);
      VectorRow newer = new VectorRow("d1", "v2", random(r), Map.of(), 500);
      store.upsert(rows("v1", 5, 1)); // sequences 100..104
      store.upsert(List.of(newer));
      assertEquals(
          2,
          store.delete(
              List.of(new Deletion("d1", 300), new Deletion("d2", 300), new Deletion("d1", 250))));
      assertEquals(Optional.of(newer), store.get("d1", "v2"), "written after the deletion");
      assertEquals(Map.of("v1", 3L, "v2", 1L), store.versions());
      assertEquals(0, store.delete(List.of(new Deletion("unknown", 1))));
      assertEquals(0, store.delete(List.of()));
    }
  }

  @Test
  void anOperatorsDeleteForgetsTheTombstone() {
    try (VectorStore store = open()) {
      Random r = new Random(7);
      store.upsert(rows("v1", 3, 1));
      store.delete(List.of(new Deletion("d0", 1_000)));
      store.delete("d0");
      VectorRow old = new VectorRow("d0", "v1", random(r), Map.of(), 10);
      assertEquals(1, store.upsert(List.of(old)));
    }
  }

  @Test
  void rowsOfTheWrongDimensionsOrVersionNameAreRefusedNamingThem() {
    try (VectorStore store = open()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  store.upsert(
                      List.of(
                          rows("v1", 1, 1).get(0),
                          new VectorRow("bad", "v1", new float[] {1, 2, 3}, 1))));
      assertTrue(e.getMessage().contains("bad") && e.getMessage().contains("3"), e.getMessage());
      assertEquals(0, store.count("v1"), "nothing of a refused batch is written");
      assertThrows(
          IllegalArgumentException.class,
          () -> new VectorRow("x", "v1'; DROP TABLE x; --", ones(), 1));
      IllegalArgumentException zero =
          assertThrows(
              IllegalArgumentException.class, () -> new VectorRow("z", "v1", new float[DIM], 1));
      assertTrue(zero.getMessage().contains("z"), zero.getMessage());
      IllegalArgumentException query =
          assertThrows(IllegalArgumentException.class, () -> store.search("v1", new float[DIM], 3));
      assertTrue(query.getMessage().contains("zero"), query.getMessage());
    }
  }

  @Test
  void theIndexFindsWhatExactSearchFinds() {
    try (VectorStore store = open()) {
      // Clustered, like embeddings: 40 topics of 50 documents.
      Random r = new Random(11);
      List<float[]> centres = IntStream.range(0, 40).mapToObj(i -> random(r)).toList();
      List<VectorRow> rows = new ArrayList<>();
      for (int i = 0; i < 2_000; i++) {
        float[] c = centres.get(i % 40);
        float[] v = new float[DIM];
        for (int d = 0; d < DIM; d++) {
          v[d] = c[d] + 0.4f * (float) r.nextGaussian();
        }
        rows.add(new VectorRow("d" + i, "v1", v, i));
      }
      for (int from = 0; from < rows.size(); from += 500) {
        store.upsert(rows.subList(from, from + 500));
      }
      int found = 0;
      int queries = 50;
      for (int q = 0; q < queries; q++) {
        float[] query = random(r);
        Set<String> exact = new HashSet<>(bruteForce(rows, query, 10));
        found +=
            (int)
                store.search("v1", query, 10).stream().filter(h -> exact.contains(h.id())).count();
      }
      double recall = found / (10.0 * queries);
      assertTrue(recall >= 0.9, "recall@10 " + recall);
    }
  }

  @Test
  void searchesDuringABackfillAndCutOversNeverMixVersions() throws Exception {
    try (VectorStore store = open()) {
      List<VectorRow> v1 = rows("v1", 200, 1);
      List<VectorRow> v2 = rows("v2", 200, 2);
      Map<String, Map<String, float[]>> vectors = Map.of("v1", byId(v1), "v2", byId(v2));
      store.upsert(v1);
      store.cutOver("v1");
      AtomicBoolean done = new AtomicBoolean();
      List<String> problems = new CopyOnWriteArrayList<>();
      List<String> seen = new CopyOnWriteArrayList<>();
      Thread searcher =
          new Thread(
              () -> {
                Random r = new Random(5);
                while (!done.get()) {
                  float[] query = random(r);
                  ServedHits served = store.searchServing(query, 10);
                  seen.add(served.version());
                  if (served.hits().size() != 10) {
                    problems.add(served.version() + " gave " + served.hits().size() + " hits");
                  }
                  for (Hit h : served.hits()) {
                    double expected = cosine(vectors.get(served.version()).get(h.id()), query);
                    if (Math.abs(expected - h.score()) > 1e-4) {
                      problems.add(h.id() + " scored as another version's vector");
                    }
                  }
                }
              });
      searcher.start();
      while (seen.size() < 3) {
        Thread.onSpinWait(); // searches under v1 before the backfill starts
      }
      for (int from = 0; from < v2.size(); from += 20) { // the backfill, in batches
        store.upsert(v2.subList(from, from + 20));
      }
      store.cutOver("v2");
      store.cutOver("v1");
      store.cutOver("v2");
      while (seen.stream().filter("v2"::equals).count() < 5) {
        store.search("v2", ones(), 1); // let the searcher see the new version
      }
      done.set(true);
      searcher.join();
      assertEquals(List.of(), problems);
      assertTrue(seen.contains("v1") && seen.contains("v2"), "searches ran under both versions");
    }
  }

  private static Map<String, float[]> byId(List<VectorRow> rows) {
    Map<String, float[]> m = new HashMap<>();
    rows.forEach(r -> m.put(r.id(), r.vector()));
    return m;
  }

  @Test
  void emptyBatchesAndUnknownRowsAreNoOps() {
    try (VectorStore store = open()) {
      assertEquals(0, store.upsert(List.of()));
      assertFalse(store.get("nothing", "v1").isPresent());
      assertEquals(0, store.delete("nothing"));
    }
  }
}
