package io.twinstream.trainer.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Semantic search over a corpus: every query's vector is compared by cosine with every document's,
 * and the ranking is scored against relevance judgements — {@code ndcg@10} (primary; graded gains,
 * as pytrec_eval computes it for BEIR), {@code mrr@10}, {@code recall@k} and {@code map@100},
 * averaged over the queries that have at least one relevant document.
 */
public final class RetrievalEvaluator implements Evaluator {

  /** The cut-offs reported for recall. */
  public static final int[] RECALL_AT = {1, 5, 10, 100};

  private final List<String> docIds;
  private final List<String> docTexts;
  private final List<String> queryIds;
  private final List<String> queryTexts;
  private final Map<String, Map<String, Integer>> relevance;
  private IntConsumer progress = done -> {};

  /**
   * @param corpus document text by id
   * @param queries query text by id; queries without a relevant document are skipped
   * @param relevance per query id, the graded relevance (> 0 = relevant) of documents by id
   */
  public RetrievalEvaluator(
      Map<String, String> corpus,
      Map<String, String> queries,
      Map<String, Map<String, Integer>> relevance) {
    this.docIds = new ArrayList<>(corpus.keySet());
    this.docTexts = new ArrayList<>(corpus.values());
    this.queryIds = new ArrayList<>();
    this.queryTexts = new ArrayList<>();
    for (Map.Entry<String, String> q : queries.entrySet()) {
      Map<String, Integer> judged = relevance.getOrDefault(q.getKey(), Map.of());
      if (judged.values().stream().anyMatch(r -> r > 0)) {
        queryIds.add(q.getKey());
        queryTexts.add(q.getValue());
      }
    }
    if (queryIds.isEmpty()) {
      throw new IllegalArgumentException("no query has a relevant document in the judgements");
    }
    if (docIds.isEmpty()) {
      throw new IllegalArgumentException("the corpus is empty");
    }
    this.relevance = relevance;
  }

  /**
   * An evaluator ranking, instead of the whole corpus, the sample {@link SampledCorpus} draws for
   * these queries: cost in proportion to the queries, scores comparable only on the same sample.
   */
  public static RetrievalEvaluator sampled(
      Map<String, String> corpus,
      Map<String, String> queries,
      Map<String, Map<String, Integer>> relevance,
      SampledCorpus.Sampling sampling) {
    return new RetrievalEvaluator(
        SampledCorpus.of(corpus, queries, relevance, sampling), queries, relevance);
  }

  /** Documents ranked: the whole corpus given, or the sample. */
  public int documentCount() {
    return docIds.size();
  }

  /** Reports texts embedded so far (documents, then queries) while evaluating. */
  public RetrievalEvaluator withProgress(IntConsumer progress) {
    this.progress = progress;
    return this;
  }

  /** Texts an evaluation embeds: documents and the queries that are evaluated. */
  public int textCount() {
    return docIds.size() + queryIds.size();
  }

  /**
   * The evaluated queries none of whose relevant documents has a text among {@code texts} (e.g. the
   * documents a round trained on): the queries a model can only answer from what it knew before.
   */
  public Set<String> queriesWithoutRelevantAmong(Set<String> texts) {
    Map<String, String> textOf = new HashMap<>();
    for (int i = 0; i < docIds.size(); i++) {
      textOf.put(docIds.get(i), docTexts.get(i));
    }
    Set<String> out = new LinkedHashSet<>();
    for (String query : queryIds) {
      boolean touched =
          relevance.get(query).entrySet().stream()
              .anyMatch(r -> r.getValue() > 0 && texts.contains(textOf.get(r.getKey())));
      if (!touched) {
        out.add(query);
      }
    }
    return out;
  }

  /** Queries evaluated (those with a relevant document). */
  public int queryCount() {
    return queryIds.size();
  }

  @Override
  public Evaluation evaluate(Embedder embedder) {
    return evaluate(embedder, embedder);
  }

  /**
   * Evaluates documents and queries embedded by two embedders: a query bridge (queries by a newer
   * version, mapped, among an older version's documents), an adapter on the query side.
   */
  public Evaluation evaluate(Embedder documents, Embedder queryEmbedder) {
    float[][] docs = documents.embedAll(docTexts, 64, progress);
    float[][] queries =
        queryEmbedder.embedAll(queryTexts, 64, done -> progress.accept(docs.length + done));
    normalize(docs);
    normalize(queries);
    List<List<String>> rankings = new ArrayList<>();
    for (float[] q : queries) {
      rankings.add(top(q, docs, 100));
    }
    return score(rankings);
  }

  /** The evaluated queries' ids, in the order {@link #score} takes their rankings. */
  public List<String> queryIds() {
    return List.copyOf(queryIds);
  }

  /** The texts of the documents ranked, in corpus order. */
  public List<String> documentTexts() {
    return List.copyOf(docTexts);
  }

  /** The texts of {@link #queryIds()}, in that order. */
  public List<String> queryTexts() {
    return List.copyOf(queryTexts);
  }

  /**
   * Scores given rankings (document ids, best first), one per evaluated query in the order of
   * {@link #queryIds()}: for rankings made elsewhere (a mixed search of two versions' vectors).
   */
  public Evaluation score(List<List<String>> rankings) {
    double ndcg = 0;
    double mrr = 0;
    double map = 0;
    double[] recall = new double[RECALL_AT.length];
    Map<String, Double> perQuery = new LinkedHashMap<>();
    for (int qi = 0; qi < queryIds.size(); qi++) {
      Map<String, Integer> judged = relevance.get(queryIds.get(qi));
      List<String> ranking = rankings.get(qi);
      int relevantCount = (int) judged.values().stream().filter(r -> r > 0).count();
      // nDCG@10: gain = graded relevance, discount log2(rank + 1); ideal = judgements sorted
      // descending.
      double dcg = 0;
      for (int r = 0; r < Math.min(10, ranking.size()); r++) {
        dcg += Math.max(0, judged.getOrDefault(ranking.get(r), 0)) / log2(r + 2);
      }
      int[] ideal =
          judged.values().stream()
              .filter(v -> v > 0)
              .mapToInt(Integer::intValue)
              .map(v -> -v)
              .sorted()
              .map(v -> -v)
              .toArray();
      double idcg = 0;
      for (int r = 0; r < Math.min(10, ideal.length); r++) {
        idcg += ideal[r] / log2(r + 2);
      }
      ndcg += dcg / idcg;
      perQuery.put(queryIds.get(qi), dcg / idcg);
      for (int r = 0; r < Math.min(10, ranking.size()); r++) {
        if (judged.getOrDefault(ranking.get(r), 0) > 0) {
          mrr += 1.0 / (r + 1);
          break;
        }
      }
      int hits = 0;
      double precisionSum = 0;
      for (int r = 0; r < Math.min(100, ranking.size()); r++) {
        if (judged.getOrDefault(ranking.get(r), 0) > 0) {
          hits++;
          precisionSum += (double) hits / (r + 1);
        }
        for (int k = 0; k < RECALL_AT.length; k++) {
          if (r + 1 == RECALL_AT[k]) {
            recall[k] += (double) hits / relevantCount;
          }
        }
      }
      for (int k = 0; k < RECALL_AT.length; k++) {
        if (ranking.size() < RECALL_AT[k]) {
          recall[k] +=
              (double) hits / relevantCount; // fewer documents than k: all of them were retrieved
        }
      }
      map += precisionSum / relevantCount;
    }
    int n = queryIds.size();
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("ndcg@10", ndcg / n);
    m.put("mrr@10", mrr / n);
    for (int k = 0; k < RECALL_AT.length; k++) {
      m.put("recall@" + RECALL_AT[k], recall[k] / n);
    }
    m.put("map@100", map / n);
    return new Evaluation("ndcg@10", m, perQuery);
  }

  private List<String> top(float[] query, float[][] docs, int k) {
    int n = Math.min(k, docs.length);
    double[] scores = new double[docs.length];
    for (int d = 0; d < docs.length; d++) {
      double s = 0;
      for (int j = 0; j < query.length; j++) {
        s += query[j] * docs[d][j];
      }
      scores[d] = s;
    }
    Integer[] order = new Integer[docs.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    // Highest score first; ties by corpus order, so rankings are deterministic.
    Arrays.sort(
        order, (a, b) -> scores[a] != scores[b] ? Double.compare(scores[b], scores[a]) : a - b);
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(docIds.get(order[i]));
    }
    return out;
  }

  private static void normalize(float[][] vectors) {
    for (float[] v : vectors) {
      double s = 0;
      for (float x : v) {
        s += x * x;
      }
      double norm = Math.sqrt(s);
      if (norm > 0) {
        for (int i = 0; i < v.length; i++) {
          v[i] /= norm;
        }
      }
    }
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
