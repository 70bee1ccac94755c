package io.twinstream.bench;

import io.twinstream.store.Hit;
import io.twinstream.store.LuceneVectorStore;
import io.twinstream.store.PgVectorStore;
import io.twinstream.store.PgliteServer;
import io.twinstream.store.VectorRow;
import io.twinstream.store.VectorStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;

/**
 * The stores on realistic sizes: {@code N} unit vectors of 384 dimensions (the default model's),
 * clustered like embeddings (1,000 topics, a vector's cosine to its topic about 0.9), written in
 * batches of 500 (rows/s, index building included), then {@code Q} queries at k = 10: latency
 * p50/p99 and recall@10 against exact search, and exact brute-force search in Java (one thread,
 * every dot product) as the baseline measured in the same run. Stores: the embedded Lucene store on
 * a temporary directory, and PostgreSQL + pgvector as PGlite (PostgreSQL compiled to WebAssembly,
 * in a node process — a real but slow PostgreSQL; a native server is faster).
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.VectorStoreHarness [N=100000]
 * [queries=200] [stores=lucene,pgvector] [pgvector N=N]}
 */
public final class VectorStoreHarness {

  private static final int DIM = 384;
  private static final int K = 10;
  private static final int BATCH = 500;

  private VectorStoreHarness() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int queries = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    String stores = args.length > 2 ? args[2] : "lucene,pgvector";
    int pgN = args.length > 3 ? Integer.parseInt(args[3]) : n;
    Random r = new Random(42);
    float[][] centres = new float[1_000][];
    for (int c = 0; c < centres.length; c++) {
      centres[c] = unit(gaussian(r, 1.0f));
    }
    float[][] vectors = new float[n][];
    for (int i = 0; i < n; i++) {
      float[] noise = gaussian(r, 0.025f);
      float[] c = centres[r.nextInt(centres.length)];
      for (int d = 0; d < DIM; d++) {
        noise[d] += c[d];
      }
      vectors[i] = unit(noise);
    }
    float[][] qs = new float[queries][];
    for (int q = 0; q < queries; q++) {
      float[] noise = gaussian(r, 0.025f);
      float[] c = centres[r.nextInt(centres.length)];
      for (int d = 0; d < DIM; d++) {
        noise[d] += c[d];
      }
      qs[q] = unit(noise);
    }
    System.out.printf(
        Locale.ROOT,
        "%s; %,d vectors of %d dimensions (1,000 clusters), %d queries, k = %d%n",
        MachineInfo.describe(),
        n,
        DIM,
        queries,
        K);
    System.out.println(
        "| store | rows | upserts/s | search p50 ms | search p99 ms | recall@10 | p50 vs exact |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|");
    List<Set<Integer>> exact = new ArrayList<>();
    List<Double> exactMs = new ArrayList<>();
    for (float[] q : qs) {
      long t0 = System.nanoTime();
      exact.add(bruteForce(vectors, n, q));
      exactMs.add((System.nanoTime() - t0) / 1e6);
    }
    double exactP50 = Stats.median(exactMs);
    System.out.printf(
        Locale.ROOT,
        "| exact (Java, 1 thread) | %,d | — | %.2f | %.2f | 1.000 | 1.00 |%n",
        n,
        exactP50,
        Stats.percentile(exactMs, 99));
    for (String store : stores.split(",")) {
      Path dir = Files.createTempDirectory("store-bench-");
      switch (store) {
        case "lucene" -> {
          try (LuceneVectorStore s = LuceneVectorStore.open(dir.resolve("lucene"), DIM)) {
            measure("Lucene 9.12 HNSW (embedded)", s, vectors, n, qs, exact, exactP50, true);
            int segments = s.segments();
            long t0 = System.nanoTime();
            s.compact();
            System.out.printf(
                Locale.ROOT,
                "| (compact(): %d segments merged into %d in %.1f s) | | | | | | |%n",
                segments,
                s.segments(),
                (System.nanoTime() - t0) / 1e9);
            measure("Lucene 9.12 HNSW, compacted", s, vectors, n, qs, exact, exactP50, false);
          }
        }
        case "pgvector" -> {
          List<Set<Integer>> exactPg = exact;
          double exactPgP50 = exactP50;
          if (pgN != n) {
            exactPg = new ArrayList<>();
            List<Double> ms = new ArrayList<>();
            for (float[] q : qs) {
              long t0 = System.nanoTime();
              exactPg.add(bruteForce(vectors, pgN, q));
              ms.add((System.nanoTime() - t0) / 1e6);
            }
            exactPgP50 = Stats.median(ms);
            System.out.printf(
                Locale.ROOT,
                "| exact (Java, 1 thread) | %,d | — | %.2f | %.2f | 1.000 | 1.00 |%n",
                pgN,
                exactPgP50,
                Stats.percentile(ms, 99));
          }
          try (PgliteServer pg = PgliteServer.start();
              VectorStore s = PgVectorStore.open(pg.jdbcUrl(), pg.properties(), "bench", DIM)) {
            measure(
                "pgvector 0.8.7 HNSW (PGlite 0.5, WebAssembly)",
                s,
                vectors,
                pgN,
                qs,
                exactPg,
                exactPgP50,
                true);
          }
        }
        default -> throw new IllegalArgumentException("unknown store " + store);
      }
    }
  }

  private static void measure(
      String name,
      VectorStore store,
      float[][] vectors,
      int n,
      float[][] qs,
      List<Set<Integer>> exact,
      double exactP50,
      boolean load) {
    long t0 = System.nanoTime();
    for (int from = 0; load && from < n; from += BATCH) {
      List<VectorRow> batch = new ArrayList<>(BATCH);
      for (int i = from; i < Math.min(n, from + BATCH); i++) {
        batch.add(new VectorRow("d" + i, "v1", vectors[i], i));
      }
      store.upsert(batch);
      if ((from / BATCH) % 40 == 0) {
        System.err.printf(Locale.ROOT, "  %s: %,d of %,d rows%n", name, from + batch.size(), n);
      }
    }
    double upsertsPerSecond = load ? n / ((System.nanoTime() - t0) / 1e9) : Double.NaN;
    for (int w = 0; w < Math.min(20, qs.length); w++) {
      store.search("v1", qs[w], K); // warm-up
    }
    List<Double> ms = new ArrayList<>();
    int found = 0;
    for (int q = 0; q < qs.length; q++) {
      long s = System.nanoTime();
      List<Hit> hits = store.search("v1", qs[q], K);
      ms.add((System.nanoTime() - s) / 1e6);
      for (Hit h : hits) {
        if (exact.get(q).contains(Integer.parseInt(h.id().substring(1)))) {
          found++;
        }
      }
    }
    double p50 = Stats.median(ms);
    System.out.printf(
        Locale.ROOT,
        "| %s | %,d | %s | %.2f | %.2f | %.3f | %.2f |%n",
        name,
        n,
        load ? String.format(Locale.ROOT, "%,.0f", upsertsPerSecond) : "—",
        p50,
        Stats.percentile(ms, 99),
        found / (double) (K * qs.length),
        p50 / exactP50);
  }

  private static Set<Integer> bruteForce(float[][] vectors, int n, float[] q) {
    PriorityQueue<double[]> top = new PriorityQueue<>(Comparator.comparingDouble(a -> a[0]));
    for (int i = 0; i < n; i++) {
      float[] v = vectors[i];
      double s = 0;
      for (int d = 0; d < DIM; d++) {
        s += v[d] * q[d];
      }
      if (top.size() < K) {
        top.add(new double[] {s, i});
      } else if (s > top.peek()[0]) {
        top.poll();
        top.add(new double[] {s, i});
      }
    }
    Set<Integer> ids = new HashSet<>();
    for (double[] e : top) {
      ids.add((int) e[1]);
    }
    return ids;
  }

  private static float[] gaussian(Random r, float sigma) {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      v[d] = (float) r.nextGaussian() * sigma;
    }
    return v;
  }

  private static float[] unit(float[] v) {
    double norm = 0;
    for (float x : v) {
      norm += x * x;
    }
    float inv = (float) (1 / Math.sqrt(norm));
    for (int d = 0; d < v.length; d++) {
      v[d] *= inv;
    }
    return v;
  }
}
