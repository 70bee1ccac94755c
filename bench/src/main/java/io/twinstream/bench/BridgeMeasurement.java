package io.twinstream.bench;

import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.bridge.BridgeFitter;
import io.twinstream.encoder.bridge.BridgeMethod;
import io.twinstream.encoder.bridge.QueryBridge;
import io.twinstream.trainer.eval.Evaluation;
import io.twinstream.trainer.eval.NegativeFlips;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.online.TrainerSettings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What users would get at each moment of a promoted version's backfill (issue 31), on the test
 * queries over the whole corpus: the old version; the query bridge at promotion (each fitting
 * method, on the texts the gate embedded with both versions — what the round fits on); at 25/50/75%
 * of the backfill, in the order most-clicked first or the documents topic's order, the bridge
 * refitted with the backfilled documents and the mixed search (the new version's vectors where
 * backfilled, the bridge elsewhere); the new version fully backfilled. nDCG@10 and negative flips
 * against the old version for each; fit seconds per method.
 */
final class BridgeMeasurement {

  static final double[] SHARES = {0.25, 0.5, 0.75};

  private final RetrievalEvaluator test;
  private final RetrievalEvaluator gate;
  private final List<String> docIds;
  private final Map<String, String> corpus;
  private final Map<String, String> queries;

  /**
   * @param test the test queries over the whole corpus
   * @param gate the round's evaluation set: the texts a bridge is fitted on
   * @param docIds the corpus's ids in the order of the corpus vectors (the documents topic's order)
   */
  BridgeMeasurement(
      RetrievalEvaluator test,
      RetrievalEvaluator gate,
      List<String> docIds,
      Map<String, String> corpus,
      Map<String, String> queries) {
    this.test = test;
    this.gate = gate;
    this.docIds = docIds;
    this.corpus = corpus;
    this.queries = queries;
  }

  /**
   * The measurements of one promotion, as row entries.
   *
   * @param old the version serving before, and its corpus vectors
   * @param promoted the promoted version (its bundle holds the round's bridge), and its vectors
   * @param clicks clicks per document id during the run so far (the backfill's order)
   */
  Map<String, Object> measure(
      ModelBundle old,
      float[][] oldDocs,
      ModelBundle promoted,
      float[][] newDocs,
      Map<String, Integer> clicks)
      throws Exception {
    Map<String, Object> row = new LinkedHashMap<>();
    List<String> ids = test.queryIds();
    List<String> texts = ids.stream().map(queries::get).toList();
    float[][] qOld = embed(old, texts);
    float[][] qNew = embed(promoted, texts);
    Map<String, Double> before = rank(qOld, i -> oldDocs);
    row.put("bridge/old", mean(before));
    Map<String, Double> full = rank(qNew, i -> newDocs);
    put(row, "bridge/full", full, before);

    // The fitting texts: the gate's documents and queries, embedded by both versions.
    Map<String, float[]> oldByText = byText(oldDocs);
    Map<String, float[]> newByText = byText(newDocs);
    List<String> fitTexts = new ArrayList<>(gate.documentTexts());
    fitTexts.addAll(gate.queryTexts());
    fitTexts = fitTexts.subList(0, Math.min(fitTexts.size(), 5_000));
    float[][] xs = lookUpOrEmbed(promoted, fitTexts, newByText);
    float[][] ys = lookUpOrEmbed(old, fitTexts, oldByText);
    row.put("bridge/fit-texts", fitTexts.size());
    for (BridgeMethod m :
        List.of(BridgeMethod.LEAST_SQUARES, BridgeMethod.PROCRUSTES, BridgeMethod.RESIDUAL)) {
      QueryBridge b = BridgeFitter.of(m).fit(promoted.version(), old.version(), xs, ys);
      put(row, "bridge/" + m.optionName(), rank(mapped(b, qNew), i -> oldDocs), before);
      row.put("bridge/" + m.optionName() + "/fit-seconds", b.fit().seconds());
      row.put("bridge/" + m.optionName() + "/cosine", b.fit().cosine());
    }
    row.put("bridge/identity-cosine", cosineOfIdentity(xs, ys));
    promoted
        .file(QueryBridge.FILE_NAME)
        .ifPresent(
            bytes -> {
              QueryBridge own = QueryBridge.parse(bytes, promoted.version() + "/bridge.bin");
              row.put("bridge/round-method", own.method().optionName());
              row.put("bridge/round-texts", own.fit().texts() + own.fit().heldOut());
              put(row, "bridge/round", rank(mapped(own, qNew), i -> oldDocs), before);
            });

    // The backfill, in two orders: most-clicked first (ties in topic order), and topic order.
    List<Integer> topicOrder = new ArrayList<>();
    for (int i = 0; i < docIds.size(); i++) {
      topicOrder.add(i);
    }
    List<Integer> clickedFirst = new ArrayList<>(topicOrder);
    clickedFirst.sort(
        Comparator.comparingInt((Integer i) -> -clicks.getOrDefault(docIds.get(i), 0)));
    QueryBridge atPromotion =
        BridgeFitter.of(TrainerSettings.DEFAULT_BRIDGE)
            .fit(promoted.version(), old.version(), xs, ys);
    for (double share : SHARES) {
      int n = (int) Math.round(share * docIds.size());
      String pct = String.valueOf(Math.round(share * 100));
      for (var order : Map.of("clicked", clickedFirst, "topic", topicOrder).entrySet()) {
        boolean[] filled = new boolean[docIds.size()];
        for (int i = 0; i < n; i++) {
          filled[order.getValue().get(i)] = true;
        }
        put(
            row,
            "mix/" + order.getKey() + "/" + pct,
            mixed(qNew, atPromotion, oldDocs, newDocs, filled),
            before);
      }
      // The bridge refitted with the documents backfilled so far (most-clicked first).
      List<float[]> x = new ArrayList<>(Arrays.asList(xs));
      List<float[]> y = new ArrayList<>(Arrays.asList(ys));
      for (int i = 0; i < n && x.size() < 5_000 + n; i++) {
        int d = clickedFirst.get(i);
        x.add(newDocs[d]);
        y.add(oldDocs[d]);
      }
      QueryBridge refit =
          BridgeFitter.of(TrainerSettings.DEFAULT_BRIDGE)
              .fit(
                  promoted.version(),
                  old.version(),
                  x.toArray(float[][]::new),
                  y.toArray(float[][]::new));
      put(row, "refit/" + pct, rank(mapped(refit, qNew), i -> oldDocs), before);
    }
    return row;
  }

  private static double cosineOfIdentity(float[][] x, float[][] y) {
    double sum = 0;
    for (int i = 0; i < x.length; i++) {
      sum += dot(x[i], y[i]);
    }
    return sum / x.length;
  }

  private void put(
      Map<String, Object> row, String name, Map<String, Double> scores, Map<String, Double> old) {
    row.put(name, mean(scores));
    row.put(name + "/flips", NegativeFlips.of(old, scores).share());
  }

  private static double mean(Map<String, Double> perQuery) {
    return perQuery.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
  }

  private static float[][] mapped(QueryBridge b, float[][] q) {
    float[][] out = new float[q.length][];
    for (int i = 0; i < q.length; i++) {
      out[i] = b.apply(q[i]);
    }
    return out;
  }

  /** nDCG@10 per test query, each ranked among {@code docs.apply(query index)}. */
  private Map<String, Double> rank(float[][] q, Function<Integer, float[][]> docs) {
    List<List<String>> rankings = new ArrayList<>();
    for (int i = 0; i < q.length; i++) {
      float[][] d = docs.apply(i);
      double[] scores = new double[d.length];
      for (int j = 0; j < d.length; j++) {
        scores[j] = dot(q[i], d[j]);
      }
      rankings.add(top(scores));
    }
    Evaluation e = test.score(rankings);
    return e.perQuery();
  }

  /**
   * The mixed search: documents backfilled ({@code filled}) scored by the new version's query and
   * vectors, the others by the bridged query and the old version's vectors, one ranking by score.
   */
  private Map<String, Double> mixed(
      float[][] qNew, QueryBridge bridge, float[][] oldDocs, float[][] newDocs, boolean[] filled) {
    List<List<String>> rankings = new ArrayList<>();
    for (float[] q : qNew) {
      float[] bridged = bridge.apply(q);
      double[] scores = new double[docIds.size()];
      for (int j = 0; j < scores.length; j++) {
        scores[j] = filled[j] ? dot(q, newDocs[j]) : dot(bridged, oldDocs[j]);
      }
      rankings.add(top(scores));
    }
    return test.score(rankings).perQuery();
  }

  private List<String> top(double[] scores) {
    Integer[] order = new Integer[scores.length];
    for (int j = 0; j < order.length; j++) {
      order[j] = j;
    }
    Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
    List<String> out = new ArrayList<>();
    for (int j = 0; j < Math.min(100, order.length); j++) {
      out.add(docIds.get(order[j]));
    }
    return out;
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private Map<String, float[]> byText(float[][] docs) {
    Map<String, float[]> out = new HashMap<>();
    for (int i = 0; i < docIds.size(); i++) {
      out.putIfAbsent(corpus.get(docIds.get(i)), docs[i]);
    }
    return out;
  }

  private static float[][] lookUpOrEmbed(
      ModelBundle bundle, List<String> texts, Map<String, float[]> known) throws Exception {
    float[][] out = new float[texts.size()][];
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < out.length; i++) {
      out[i] = known.get(texts.get(i));
      if (out[i] == null) {
        rest.add(texts.get(i));
      }
    }
    if (!rest.isEmpty()) {
      float[][] embedded = embed(bundle, rest);
      for (int i = 0, j = 0; i < out.length; i++) {
        if (out[i] == null) {
          out[i] = embedded[j++];
        }
      }
    }
    return out;
  }

  private static float[][] embed(ModelBundle bundle, List<String> texts) throws Exception {
    try (SentenceEncoder encoder = SentenceEncoder.open(bundle, EncoderOptions.defaults())) {
      io.twinstream.trainer.eval.Embedder e =
          t -> encoder.encode(t).stream().map(x -> x.vector()).toArray(float[][]::new);
      return e.embedAll(texts, 64, done -> {});
    }
  }
}
