package io.twinstream.bench;

import io.twinstream.store.Deletion;
import io.twinstream.store.LuceneVectorStore;
import io.twinstream.store.PgVectorStore;
import io.twinstream.store.PgliteServer;
import io.twinstream.store.VectorRow;
import io.twinstream.store.VectorStore;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

/**
 * What tombstones cost the stores: {@code N} rows of 384 dimensions upserted in batches of 500 into
 * a fresh store (the baseline), and into a fresh store that already holds {@code T} tombstones (of
 * other documents: every upsert checks them), alternating, {@code R} rounds each; then the rate of
 * deleting half the rows in batches of 500. Medians over the rounds, the ratio to the baseline of
 * the same run.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.TombstoneHarness [N=20000]
 * [T=5000] [rounds=3] [stores=lucene,pgvector] [pgvector N=3000]}
 */
public final class TombstoneHarness {

  private static final int DIM = 384;
  private static final int BATCH = 500;

  private TombstoneHarness() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int tombstones = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    String stores = args.length > 3 ? args[3] : "lucene,pgvector";
    int pgN = args.length > 4 ? Integer.parseInt(args[4]) : 3_000;
    System.out.printf(
        Locale.ROOT,
        "%s; rows of %d dimensions in batches of %d, %,d tombstones, %d rounds%n",
        MachineInfo.describe(),
        DIM,
        BATCH,
        tombstones,
        rounds);
    System.out.println(
        "| store | rows | upserts/s, no tombstones | upserts/s, with tombstones | ratio |"
            + " deletions/s |");
    System.out.println("|---|---:|---:|---:|---:|---:|");
    for (String store : stores.split(",")) {
      switch (store) {
        case "lucene" ->
            measure(
                "Lucene (embedded)",
                n,
                tombstones,
                rounds,
                () -> {
                  try {
                    return LuceneVectorStore.open(
                        Files.createTempDirectory("tombstone-bench-"), DIM);
                  } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                });
        case "pgvector" -> {
          int[] table = {0};
          try (PgliteServer pg = PgliteServer.start()) {
            measure(
                "pgvector (PGlite, WebAssembly)",
                pgN,
                tombstones,
                rounds,
                () ->
                    PgVectorStore.open(
                        pg.jdbcUrl(), pg.properties(), "tombstones_" + table[0]++, DIM));
          }
        }
        default -> throw new IllegalArgumentException("unknown store " + store);
      }
    }
  }

  private static void measure(
      String name, int n, int tombstones, int rounds, Supplier<VectorStore> fresh) {
    Random r = new Random(42);
    float[][] vectors = new float[n][];
    for (int i = 0; i < n; i++) {
      vectors[i] = new float[DIM];
      for (int d = 0; d < DIM; d++) {
        vectors[i][d] = (float) r.nextGaussian();
      }
    }
    List<Double> plain = new ArrayList<>();
    List<Double> checked = new ArrayList<>();
    List<Double> deletions = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      try (VectorStore store = fresh.get()) {
        plain.add(load(store, vectors));
      }
      try (VectorStore store = fresh.get()) {
        List<Deletion> gone = new ArrayList<>();
        for (int i = 0; i < tombstones; i++) {
          gone.add(new Deletion("gone-" + i, Long.MAX_VALUE));
          if (gone.size() == BATCH) {
            store.delete(gone);
            gone.clear();
          }
        }
        store.delete(gone);
        checked.add(load(store, vectors));
        long t0 = System.nanoTime();
        List<Deletion> half = new ArrayList<>();
        for (int i = 0; i < n; i += 2) {
          half.add(new Deletion("d" + i, Long.MAX_VALUE));
          if (half.size() == BATCH) {
            store.delete(half);
            half.clear();
          }
        }
        store.delete(half);
        deletions.add((n / 2) / ((System.nanoTime() - t0) / 1e9));
        if (store.count("v1") != n - (n + 1) / 2) {
          throw new IllegalStateException("deleted " + (n - store.count("v1")) + " rows");
        }
      }
      System.err.printf(
          Locale.ROOT,
          "  %s round %d: %.0f / %.0f upserts/s, %.0f deletions/s%n",
          name,
          round + 1,
          plain.get(round),
          checked.get(round),
          deletions.get(round));
    }
    double base = Stats.median(plain);
    double with = Stats.median(checked);
    System.out.printf(
        Locale.ROOT,
        "| %s | %,d | %,.0f | %,.0f | %.2f | %,.0f |%n",
        name,
        n,
        base,
        with,
        with / base,
        Stats.median(deletions));
  }

  /** Upserts every vector as a row of v1 (sequence 1); returns rows per second. */
  private static double load(VectorStore store, float[][] vectors) {
    long t0 = System.nanoTime();
    for (int from = 0; from < vectors.length; from += BATCH) {
      List<VectorRow> batch = new ArrayList<>(BATCH);
      for (int i = from; i < Math.min(vectors.length, from + BATCH); i++) {
        batch.add(new VectorRow("d" + i, "v1", vectors[i], 1));
      }
      if (store.upsert(batch) != batch.size()) {
        throw new IllegalStateException("rows refused at " + from);
      }
    }
    return vectors.length / ((System.nanoTime() - t0) / 1e9);
  }
}
