package io.twinstream.cli.demo;

import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.bridge.QueryBridge;
import io.twinstream.trainer.eval.Embedder;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.task.RetrievalTask;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's report metric: nDCG@10 on test queries that are never trained or gated on. Documents
 * are scored with the vectors the job emitted for the version when given (what a search over the
 * embeddings topic would see), queries and anything else with the version's encoder.
 */
public final class TestQueries {

  private final RetrievalTask task;
  private final RetrievalEvaluator evaluator;
  private final Map<String, String> idOfText = new HashMap<>();

  public TestQueries(RetrievalTask task, List<String> testQueryIds) {
    this.task = task;
    this.evaluator = task.evaluator(testQueryIds);
    task.corpus().forEach((id, text) -> idOfText.putIfAbsent(text, id));
  }

  /**
   * nDCG@10 of the version {@code encoder} serves, with its corpus {@code vectors} (or null: encode
   * them).
   */
  public double ndcgAt10(SentenceEncoder encoder, CorpusVectors vectors) {
    return scores(encoder, vectors).mean();
  }

  /** The same, per test query. */
  public TestScores scores(SentenceEncoder encoder, CorpusVectors vectors) {
    return scores(encoder, vectors, null);
  }

  /**
   * The same for a version with a query adapter (adapter mode): the documents' vectors as {@code
   * encoder} embeds them, the queries' through {@code adapter} (null: none).
   */
  public TestScores scores(SentenceEncoder encoder, CorpusVectors vectors, QueryBridge adapter) {
    Embedder documents =
        texts -> {
          float[][] out = new float[texts.size()][];
          List<String> toEncode = new ArrayList<>();
          List<Integer> where = new ArrayList<>();
          for (int i = 0; i < texts.size(); i++) {
            String id = idOfText.get(texts.get(i));
            float[] emitted = vectors == null || id == null ? null : vectors.get(id);
            if (emitted != null) {
              out[i] = emitted;
            } else {
              toEncode.add(texts.get(i));
              where.add(i);
            }
          }
          List<SentenceEmbedding> encoded = encoder.encode(toEncode);
          for (int j = 0; j < encoded.size(); j++) {
            out[where.get(j)] = encoded.get(j).vector();
          }
          return out;
        };
    Embedder queries =
        adapter == null
            ? documents
            : texts -> {
              float[][] v = documents.embed(texts);
              for (int i = 0; i < v.length; i++) {
                v[i] = adapter.apply(v[i]);
              }
              return v;
            };
    return new TestScores(evaluator.evaluate(documents, queries).perQuery());
  }

  /** The test queries' texts, in the order {@link #scores(List)} takes their rankings. */
  public List<String> queryTexts() {
    return evaluator.queryTexts();
  }

  /**
   * The scores of rankings made elsewhere (document ids, best first; e.g. the answers of {@code
   * /v1/search}), one per query of {@link #queryTexts()} in that order.
   */
  public TestScores scores(List<List<String>> rankings) {
    return new TestScores(evaluator.score(rankings).perQuery());
  }

  /** The task. */
  public RetrievalTask task() {
    return task;
  }
}
