package io.twinstream.cli.demo;

import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.records.FeedbackPair;
import io.twinstream.trainer.task.RetrievalTask;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The users of a search application, simulated on a retrieval task: a search is one of the task's
 * traffic queries; the user is shown the serving version's top {@code shown} documents, clicks the
 * first relevant one if it is among them (a positive) and skips the others (hard negatives).
 * Queries are taken in order, round robin, so a simulation is deterministic.
 */
public final class SimulatedUsers {

  private final RetrievalTask task;
  private final List<String> traffic;
  private final int shown;
  private int cursor;

  /**
   * @param traffic the query ids users search, in order
   * @param shown documents shown per search
   */
  public SimulatedUsers(RetrievalTask task, List<String> traffic, int shown) {
    if (traffic.isEmpty()) {
      throw new IllegalArgumentException("no traffic queries to search");
    }
    if (shown < 1) {
      throw new IllegalArgumentException("shown must be at least 1, got " + shown);
    }
    this.task = task;
    this.traffic = List.copyOf(traffic);
    this.shown = shown;
  }

  /**
   * The next {@code searches} searches: queries embedded by {@code encoder} (the serving version),
   * documents ranked by {@code vectors} (that version's vectors from the job).
   *
   * @return one feedback pair per document shown, searches in order, each search's documents in
   *     rank order
   */
  public List<FeedbackPair> search(
      int searches, SentenceEncoder encoder, CorpusVectors vectors, Instant now) {
    List<String> queryIds = new ArrayList<>(searches);
    for (int i = 0; i < searches; i++) {
      queryIds.add(traffic.get(cursor++ % traffic.size()));
    }
    List<SentenceEmbedding> embedded =
        encoder.encode(queryIds.stream().map(task.queries()::get).toList());
    List<FeedbackPair> out = new ArrayList<>(searches * shown);
    for (int i = 0; i < queryIds.size(); i++) {
      String queryId = queryIds.get(i);
      List<String> top = vectors.topK(embedded.get(i).vector(), shown);
      Map<String, Integer> relevant = task.relevance().getOrDefault(queryId, Map.of());
      String clicked =
          top.stream().filter(d -> relevant.getOrDefault(d, 0) > 0).findFirst().orElse(null);
      for (String doc : top) {
        boolean click = doc.equals(clicked);
        out.add(
            FeedbackPair.newBuilder()
                .setAnchor(task.queries().get(queryId))
                .setCandidate(task.corpus().get(doc))
                .setLabel(click ? 1f : 0f)
                .setSource(click ? "click" : "skip")
                .setEventTime(now)
                .setAnchorId(queryId)
                .setCandidateId(doc)
                .build());
      }
    }
    return out;
  }
}
