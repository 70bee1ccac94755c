package io.twinstream.trainer.eval;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The documents a sampled retrieval evaluation ranks instead of the whole corpus: every query's
 * relevant documents, every query's best documents by BM25 (lexical near misses: the hard negatives
 * an encoder must rank below the answer) and a seeded random sample of the rest (the easy ones,
 * which a broken model stops ranking low). Its size follows the number of queries, not the corpus:
 * a gate scored on it costs the same at 5,000 and at 500,000 documents.
 *
 * <p>What it can detect: any change in how a model orders relevant documents against lexically
 * similar and random ones — the changes fine-tuning makes. What it cannot: a document that is not
 * in the sample and that the model would rank above the answer (a semantic near miss sharing no
 * words with the query), so its scores are higher than the whole corpus's and are comparable only
 * with scores on the same sample.
 */
public final class SampledCorpus {

  /**
   * How the sample is drawn.
   *
   * @param lexicalTopK documents per query by BM25
   * @param randomDocuments documents drawn at random from the whole corpus
   * @param seed the random draw's seed
   */
  public record Sampling(int lexicalTopK, int randomDocuments, long seed) implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * 3 per query by BM25 and 500 at random: 500 SQuAD questions rank 1,509 paragraphs (with 10 per
     * query, 2,762), about what 157 questions cost with 10 (1,232) — a gate that compares models
     * query by query needs the queries more than the tenth-best lexical neighbour
     * (docs/continuous-learning.md, the gate). Until 2026-12-07 the default was 10.
     */
    public static final Sampling DEFAULTS = new Sampling(3, 500, 42);

    public Sampling {
      if (lexicalTopK < 0 || randomDocuments < 0) {
        throw new IllegalArgumentException(
            "lexicalTopK and randomDocuments must be >= 0, got "
                + lexicalTopK
                + " and "
                + randomDocuments);
      }
    }
  }

  private static final double K1 = 1.2;
  private static final double B = 0.75;

  private SampledCorpus() {}

  /**
   * The sample of {@code corpus} for {@code queries}, in corpus order.
   *
   * @param relevance per query id, graded relevance by document id (> 0 = relevant)
   */
  public static Map<String, String> of(
      Map<String, String> corpus,
      Map<String, String> queries,
      Map<String, Map<String, Integer>> relevance,
      Sampling sampling) {
    List<String> ids = new ArrayList<>(corpus.keySet());
    Set<String> chosen = new LinkedHashSet<>();
    for (String query : queries.keySet()) {
      relevance.getOrDefault(query, Map.of()).keySet().stream()
          .filter(corpus::containsKey)
          .forEach(chosen::add);
    }
    if (sampling.lexicalTopK() > 0) {
      Bm25 index = new Bm25(ids, corpus, queries.values());
      for (String text : queries.values()) {
        for (int d : index.top(text, sampling.lexicalTopK())) {
          chosen.add(ids.get(d));
        }
      }
    }
    List<String> shuffled = new ArrayList<>(ids);
    Collections.shuffle(shuffled, new Random(sampling.seed()));
    int added = 0;
    for (String id : shuffled) {
      if (added == sampling.randomDocuments()) {
        break;
      }
      if (chosen.add(id)) {
        added++;
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String id : ids) {
      if (chosen.contains(id)) {
        out.put(id, corpus.get(id));
      }
    }
    return out;
  }

  /** Words of a text: lower-case runs of letters and digits. */
  static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      if (!w.isEmpty()) {
        out.add(w);
      }
    }
    return out;
  }

  /**
   * Okapi BM25 (k1 1.2, b 0.75) restricted to the words of the queries it will be asked, so that
   * its postings take memory in proportion to those words' occurrences, not to the corpus's
   * vocabulary.
   */
  private static final class Bm25 {
    private final int documents;
    private final double[] length;
    private final double averageLength;
    private final Map<String, int[]> postings = new HashMap<>(); // doc, tf, doc, tf, ...

    Bm25(List<String> ids, Map<String, String> corpus, Iterable<String> queries) {
      Set<String> vocabulary = new LinkedHashSet<>();
      queries.forEach(q -> vocabulary.addAll(words(q)));
      documents = ids.size();
      length = new double[documents];
      Map<String, int[]> growing = new HashMap<>();
      Map<String, Integer> used = new HashMap<>();
      double total = 0;
      for (int d = 0; d < documents; d++) {
        List<String> words = words(corpus.get(ids.get(d)));
        length[d] = words.size();
        total += words.size();
        Map<String, Integer> tf = new HashMap<>();
        for (String w : words) {
          if (vocabulary.contains(w)) {
            tf.merge(w, 1, Integer::sum);
          }
        }
        for (Map.Entry<String, Integer> e : tf.entrySet()) {
          int[] list = growing.getOrDefault(e.getKey(), new int[8]);
          int n = used.getOrDefault(e.getKey(), 0);
          if (n + 2 > list.length) {
            list = Arrays.copyOf(list, list.length * 2);
          }
          list[n] = d;
          list[n + 1] = e.getValue();
          growing.put(e.getKey(), list);
          used.put(e.getKey(), n + 2);
        }
      }
      growing.forEach((w, list) -> postings.put(w, Arrays.copyOf(list, used.get(w))));
      averageLength = documents == 0 ? 1 : Math.max(1, total / documents);
    }

    /** The {@code k} best documents for {@code query}, best first; fewer if fewer match. */
    int[] top(String query, int k) {
      double[] score = new double[documents];
      Set<Integer> matched = new LinkedHashSet<>();
      for (String w : new LinkedHashSet<>(words(query))) {
        int[] list = postings.get(w);
        if (list == null) {
          continue;
        }
        int df = list.length / 2;
        double idf = Math.log(1 + (documents - df + 0.5) / (df + 0.5));
        for (int i = 0; i < list.length; i += 2) {
          int d = list[i];
          double tf = list[i + 1];
          score[d] += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length[d] / averageLength));
          matched.add(d);
        }
      }
      return matched.stream()
          .sorted((a, b) -> score[a] != score[b] ? Double.compare(score[b], score[a]) : a - b)
          .limit(k)
          .mapToInt(Integer::intValue)
          .toArray();
    }
  }
}
