package io.twinstream.bench;

import io.twinstream.joiner.PairRules;
import io.twinstream.joiner.SearchLog;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Interaction;
import io.twinstream.records.InteractionType;
import io.twinstream.testkit.ClickModel;
import io.twinstream.trainer.online.Feedback;
import io.twinstream.trainer.task.RetrievalTask;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Searches by simulated users, in process, for the harnesses that measure learning: a query's top
 * results from the serving version's document vectors, impressions and clicks by a {@link
 * ClickModel}, and the pairs the feedback joiner's own rules ({@link SearchLog}, {@link PairRules})
 * make of them. What the demo does through Kafka and the joiner, without either.
 */
final class SimulatedSearches {

  private final RetrievalTask task;
  private final ClickModel clicks;
  private final PairRules rules;
  private final int shown;
  private int searches;

  SimulatedSearches(RetrievalTask task, ClickModel clicks, PairRules rules, int shown) {
    this.task = task;
    this.clicks = clicks;
    this.rules = rules;
    this.shown = shown;
  }

  /** Searches made so far (each got its own request, session and second of simulated time). */
  int searches() {
    return searches;
  }

  /** The ids of the {@code k} documents closest to {@code query} (vectors are normalised). */
  static List<String> top(float[] query, float[][] docs, List<String> ids, int k) {
    int n = Math.min(k, docs.length);
    int[] best = new int[n];
    double[] bestScore = new double[n];
    int filled = 0;
    for (int d = 0; d < docs.length; d++) {
      double s = 0;
      float[] doc = docs[d];
      for (int j = 0; j < query.length; j++) {
        s += query[j] * doc[j];
      }
      if (filled < n || s > bestScore[filled - 1]) {
        int at = filled < n ? filled++ : n - 1;
        while (at > 0 && bestScore[at - 1] < s) {
          best[at] = best[at - 1];
          bestScore[at] = bestScore[at - 1];
          at--;
        }
        best[at] = d;
        bestScore[at] = s;
      }
    }
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < filled; i++) {
      out.add(ids.get(best[i]));
    }
    return out;
  }

  /**
   * One search of {@code queryId} that shows {@code results} (best first): what the user clicked,
   * as the feedback the joiner's rules make of it.
   */
  List<Feedback> search(String queryId, List<String> results, Random users) {
    int n = searches++;
    String user = "user-" + n;
    ClickModel.Search search =
        new ClickModel.Search(
            user,
            queryId,
            task.queries().get(queryId),
            user,
            results.subList(0, Math.min(shown, results.size())),
            task.relevance().getOrDefault(queryId, Map.of()));
    SearchLog log = new SearchLog(queryId, search.queryText(), user);
    SearchLog.Origin origin = new SearchLog.Origin("interactions", 0, n);
    Instant t = Instant.parse("2026-12-01T10:00:00Z").plusSeconds(n);
    for (Interaction event : clicks.interactions(search, t, users)) {
      boolean impression = event.getType() == InteractionType.IMPRESSION;
      log.add(event, impression ? task.corpus().get(event.getDocId().toString()) : null, origin);
    }
    List<Feedback> out = new ArrayList<>();
    for (FeedbackPair p : rules.apply(log, task.corpus()::get).pairs()) {
      out.add(
          new Feedback(
              p.getAnchor().toString(),
              p.getCandidate().toString(),
              p.getLabel(),
              p.getEventTime().toEpochMilli(),
              p.getWeight()));
    }
    return out;
  }
}
