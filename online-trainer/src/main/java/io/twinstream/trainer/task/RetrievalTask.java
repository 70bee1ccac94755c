package io.twinstream.trainer.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.trainer.data.BeirDataset;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.eval.SampledCorpus;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A retrieval task: documents, queries and which documents are relevant to each query, with the
 * queries split into {@code traffic} (what simulated users search for, and so what feedback is
 * about), {@code dev} (a fixed evaluation set a promotion gate may use) and {@code test} (reported
 * only, never trained or gated on).
 *
 * @param name short name, e.g. {@code domain} or {@code sts}
 * @param corpus document text by id
 * @param queries query text by id
 * @param relevance per query id, graded relevance by document id
 * @param attribution per document id, the attribution its text carries (empty for generated text)
 */
public record RetrievalTask(
    String name,
    Map<String, String> corpus,
    Map<String, String> queries,
    Map<String, Map<String, Integer>> relevance,
    Map<String, String> attribution) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public RetrievalTask {
    corpus = Collections.unmodifiableMap(new LinkedHashMap<>(corpus));
    queries = Collections.unmodifiableMap(new LinkedHashMap<>(queries));
    relevance = Collections.unmodifiableMap(new LinkedHashMap<>(relevance));
    attribution = Collections.unmodifiableMap(new LinkedHashMap<>(attribution));
    for (Map.Entry<String, Map<String, Integer>> q : relevance.entrySet()) {
      if (!queries.containsKey(q.getKey())) {
        throw new IllegalArgumentException("judgement for unknown query " + q.getKey());
      }
      for (String doc : q.getValue().keySet()) {
        if (!corpus.containsKey(doc)) {
          throw new IllegalArgumentException(
              "query " + q.getKey() + " judges unknown document " + doc);
        }
      }
    }
  }

  /**
   * A task from a BEIR dataset (as {@code twinstream eval} reads it); queries without judgements
   * are dropped.
   */
  public static RetrievalTask of(String name, BeirDataset data) {
    Map<String, String> queries = new LinkedHashMap<>();
    data.queries()
        .forEach(
            (id, text) -> {
              if (data.relevance().containsKey(id)) {
                queries.put(id, text);
              }
            });
    return new RetrievalTask(name, data.corpus(), queries, data.relevance(), Map.of());
  }

  /** The query split: traffic, dev and test ids, in that order. */
  public record Split(List<String> traffic, List<String> dev, List<String> test) {}

  /**
   * Splits the judged queries at random (seeded) into traffic, dev and test, dev and test each
   * {@code share} of them (at least one each when there are three or more queries).
   */
  public Split split(double share, long seed) {
    if (!(share > 0 && share < 0.5)) {
      throw new IllegalArgumentException("share must be in (0, 0.5), got " + share);
    }
    List<String> ids = new ArrayList<>(relevance.keySet());
    Collections.shuffle(ids, new Random(seed));
    int n = ids.size();
    int held = n < 3 ? 0 : Math.max(1, (int) Math.round(n * share));
    return new Split(
        List.copyOf(ids.subList(2 * held, n)),
        List.copyOf(ids.subList(0, held)),
        List.copyOf(ids.subList(held, 2 * held)));
  }

  /** A retrieval evaluator over the whole corpus for the given queries. */
  public RetrievalEvaluator evaluator(List<String> queryIds) {
    Map<String, String> qs = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> rel = new LinkedHashMap<>();
    for (String id : queryIds) {
      qs.put(id, queries.get(id));
      rel.put(id, relevance.get(id));
    }
    return new RetrievalEvaluator(corpus, qs, rel);
  }

  /**
   * A retrieval evaluator for the given queries over the sample of the corpus {@link SampledCorpus}
   * draws for them; {@code sampling} null = over the whole corpus.
   */
  public RetrievalEvaluator evaluator(List<String> queryIds, SampledCorpus.Sampling sampling) {
    if (sampling == null) {
      return evaluator(queryIds);
    }
    Map<String, String> qs = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> rel = new LinkedHashMap<>();
    for (String id : queryIds) {
      qs.put(id, queries.get(id));
      rel.put(id, relevance.get(id));
    }
    return RetrievalEvaluator.sampled(corpus, qs, rel, sampling);
  }

  /**
   * Writes the task in the BEIR layout under {@code dir}: {@code corpus.jsonl} (with an {@code
   * attribution} field where the text has one), {@code queries.jsonl} and {@code qrels.tsv} for the
   * given query ids.
   */
  public void writeBeir(Path dir, List<String> queryIds) throws IOException {
    Files.createDirectories(dir);
    try (BufferedWriter out =
        Files.newBufferedWriter(dir.resolve("corpus.jsonl"), StandardCharsets.UTF_8)) {
      for (Map.Entry<String, String> d : corpus.entrySet()) {
        Map<String, String> row = new LinkedHashMap<>();
        row.put("_id", d.getKey());
        row.put("title", "");
        row.put("text", d.getValue());
        String source = attribution.get(d.getKey());
        if (source != null && !source.isEmpty()) {
          row.put("attribution", source);
        }
        out.write(JSON.writeValueAsString(row));
        out.write('\n');
      }
    }
    try (BufferedWriter out =
        Files.newBufferedWriter(dir.resolve("queries.jsonl"), StandardCharsets.UTF_8)) {
      for (String id : queryIds) {
        out.write(JSON.writeValueAsString(Map.of("_id", id, "text", queries.get(id))));
        out.write('\n');
      }
    }
    try (BufferedWriter out =
        Files.newBufferedWriter(dir.resolve("qrels.tsv"), StandardCharsets.UTF_8)) {
      out.write("query-id\tcorpus-id\tscore\n");
      for (String id : queryIds) {
        for (Map.Entry<String, Integer> r : relevance.get(id).entrySet()) {
          out.write(id + "\t" + r.getKey() + "\t" + r.getValue() + "\n");
        }
      }
    }
  }
}
