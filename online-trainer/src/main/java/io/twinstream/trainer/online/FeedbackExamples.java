package io.twinstream.trainer.online;

import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns feedback into training examples and into a retrieval evaluation. */
public final class FeedbackExamples {

  private FeedbackExamples() {}

  /**
   * Training examples for MNRL: every positive becomes (anchor, positive); when every positive's
   * anchor also has negative feedback, each example gets one of them as hard negative (round-robin
   * over the anchor's negatives), otherwise none do and the batch's other positives serve as
   * negatives.
   */
  public static List<TrainingExample> training(List<Feedback> feedback) {
    Map<String, List<String>> negatives = new LinkedHashMap<>();
    List<Feedback> positives = new ArrayList<>();
    for (Feedback f : feedback) {
      if (f.positive()) {
        positives.add(f);
      } else {
        negatives.computeIfAbsent(f.anchor(), k -> new ArrayList<>()).add(f.candidate());
      }
    }
    boolean allHaveNegatives =
        !positives.isEmpty() && positives.stream().allMatch(p -> negatives.containsKey(p.anchor()));
    Map<String, Integer> next = new LinkedHashMap<>();
    List<TrainingExample> out = new ArrayList<>(positives.size());
    for (Feedback p : positives) {
      if (allHaveNegatives) {
        List<String> ns = negatives.get(p.anchor());
        int i = next.merge(p.anchor(), 1, Integer::sum) - 1;
        out.add(TrainingExample.triplet(p.anchor(), p.candidate(), ns.get(i % ns.size())));
      } else {
        out.add(TrainingExample.pair(p.anchor(), p.candidate()));
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
