package io.twinstream.trainer.online;

import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns feedback into training examples and into a retrieval evaluation. */
public final class FeedbackExamples {

  private FeedbackExamples() {}

  /**
   * Training examples for MNRL: every positive becomes (anchor, positive); when every positive's
   * anchor also has negative feedback, each example gets one of them as hard negative (round-robin
   * over the anchor's negatives), otherwise none do and the batch's other positives serve as
   * negatives. Each example weighs what its positive weighs.
   */
  public static List<TrainingExample> training(List<Feedback> feedback) {
    return training(feedback, null);
  }

  /**
   * {@link #training(List)}, where a positive whose anchor has no negative feedback gets one from
   * {@code miner} (when not null): if every positive then has a negative, every example is a
   * triplet.
   */
  public static List<TrainingExample> training(List<Feedback> feedback, HardNegativeMiner miner) {
    Map<String, List<String>> negatives = new LinkedHashMap<>();
    Map<String, Set<String>> clicked = new LinkedHashMap<>();
    List<Feedback> positives = new ArrayList<>();
    Set<String> pool = new LinkedHashSet<>();
    for (Feedback f : feedback) {
      pool.add(f.candidate());
      if (f.positive()) {
        positives.add(f);
        clicked.computeIfAbsent(f.anchor(), k -> new LinkedHashSet<>()).add(f.candidate());
      } else {
        negatives.computeIfAbsent(f.anchor(), k -> new ArrayList<>()).add(f.candidate());
      }
    }
    Map<Feedback, String> mined = new HashMap<>();
    if (miner != null) {
      List<Feedback> missing =
          positives.stream().filter(p -> !negatives.containsKey(p.anchor())).toList();
      if (!missing.isEmpty()) {
        Set<String> anchors = new LinkedHashSet<>();
        missing.forEach(p -> anchors.add(p.anchor()));
        miner.prepare(pool, anchors);
        for (Feedback p : missing) {
          String n = miner.mine(p.anchor(), p.candidate(), clicked.get(p.anchor()));
          if (n != null) {
            mined.put(p, n);
          }
        }
      }
    }
    boolean allHaveNegatives =
        !positives.isEmpty()
            && positives.stream()
                .allMatch(p -> negatives.containsKey(p.anchor()) || mined.containsKey(p));
    Map<String, Integer> next = new LinkedHashMap<>();
    List<TrainingExample> out = new ArrayList<>(positives.size());
    for (Feedback p : positives) {
      if (allHaveNegatives && mined.containsKey(p)) {
        out.add(
            TrainingExample.triplet(p.anchor(), p.candidate(), mined.get(p))
                .withWeight(p.weight()));
      } else if (allHaveNegatives) {
        List<String> ns = negatives.get(p.anchor());
        int i = next.merge(p.anchor(), 1, Integer::sum) - 1;
        out.add(
            TrainingExample.triplet(p.anchor(), p.candidate(), ns.get(i % ns.size()))
                .withWeight(p.weight()));
      } else {
        out.add(TrainingExample.pair(p.anchor(), p.candidate()).withWeight(p.weight()));
      }
    }
    return out;
  }

  /**
   * A retrieval task from held-out feedback: queries are the anchors with positive feedback, the
   * corpus is every candidate seen (plus {@code extraCorpus}, e.g. the documents being served),
   * relevant documents are the positive ones. Returns {@code null} when no anchor has positive
   * feedback.
   */
  public static RetrievalEvaluator evaluator(
      List<Feedback> heldOut, Map<String, String> extraCorpus) {
    Map<String, String> corpus = new LinkedHashMap<>(extraCorpus);
    Map<String, String> idOfText = new LinkedHashMap<>();
    corpus.forEach((id, text) -> idOfText.putIfAbsent(text, id));
    Map<String, String> queryIdOfAnchor = new LinkedHashMap<>();
    Map<String, String> queries = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> relevance = new LinkedHashMap<>();
    for (Feedback f : heldOut) {
      String docId = idOfText.computeIfAbsent(f.candidate(), t -> "fb-doc-" + idOfText.size());
      corpus.putIfAbsent(docId, f.candidate());
      if (f.positive()) {
        String queryId =
            queryIdOfAnchor.computeIfAbsent(f.anchor(), a -> "fb-q-" + queryIdOfAnchor.size());
        queries.putIfAbsent(queryId, f.anchor());
        relevance.computeIfAbsent(queryId, k -> new LinkedHashMap<>()).put(docId, 1);
      }
    }
    return queries.isEmpty() ? null : new RetrievalEvaluator(corpus, queries, relevance);
  }
}
