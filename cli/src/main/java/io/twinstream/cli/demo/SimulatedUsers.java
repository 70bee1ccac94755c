package io.twinstream.cli.demo;

import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.records.Interaction;
import io.twinstream.testkit.ClickModel;
import io.twinstream.trainer.task.RetrievalTask;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The users of a search application, simulated on a retrieval task: a search is one of the task's
 * traffic queries; the front end shows the serving version's top {@code shown} documents and logs
 * an impression per document; the user clicks by a position-biased {@link ClickModel}. What comes
 * out are the {@link Interaction} events a real front end would log, never training pairs: turning
 * them into pairs is the feedback joiner's job.
 *
 * <p>Event time is simulated so that the joiner's result does not depend on how fast the machine
 * is: searches are {@link #SPACING} apart, starting {@link #HEAD_START} in the past. Queries are
 * taken round robin and the users' random draws are seeded, so a simulation is deterministic.
 */
public final class SimulatedUsers {

  /** Simulated time between two searches: longer than a search's clicks plus the demo's windows. */
  public static final Duration SPACING = Duration.ofSeconds(20);

  /** How far in the past the simulated clock starts. */
  public static final Duration HEAD_START = Duration.ofDays(1);

  private final RetrievalTask task;
  private final List<String> traffic;
  private final int shown;
  private final ClickModel clicks;
  private final Random random;
  private int cursor;
  private Instant clock;

  /**
   * @param traffic the query ids users search, in order
   * @param shown documents shown per search
   * @param seed seeds the users' clicks
   * @param now the wall clock at the start
   */
  public SimulatedUsers(
      RetrievalTask task,
      List<String> traffic,
      int shown,
      ClickModel clicks,
      long seed,
      Instant now) {
    if (traffic.isEmpty()) {
      throw new IllegalArgumentException("no traffic queries to search");
    }
    if (shown < 1) {
      throw new IllegalArgumentException("shown must be at least 1, got " + shown);
    }
    this.task = task;
    this.traffic = List.copyOf(traffic);
    this.shown = shown;
    this.clicks = clicks;
    this.random = new Random(seed);
    this.clock = now.minus(HEAD_START);
  }

  /** Searches made so far. */
  public int searches() {
    return cursor;
  }

  /**
   * The next {@code searches} searches: queries embedded by {@code encoder} (the serving version),
   * documents ranked by {@code ranker} (a search of that version's document vectors).
   *
   * @return the searches' interactions, searches in order, each search's impressions in rank order
   *     and then its clicks
   * @throws IllegalStateException when the simulated clock would pass the wall clock (more than
   *     {@code HEAD_START / SPACING} searches)
   */
  public List<Interaction> search(int searches, SentenceEncoder encoder, Ranker ranker) {
    return search(
        searches,
        (texts, k) -> {
          List<List<String>> ranked = new ArrayList<>();
          for (SentenceEmbedding e : encoder.encode(texts)) {
            ranked.add(ranker.topK(e.vector(), k));
          }
          return ranked;
        });
  }

  /**
   * The next {@code searches} searches through {@code frontEnd} (e.g. {@code twinstream serve}'s
   * {@code /v1/search}), which embeds and ranks.
   */
  public List<Interaction> search(int searches, SearchFrontEnd frontEnd) {
    List<String> queryIds = new ArrayList<>(searches);
    for (int i = 0; i < searches; i++) {
      queryIds.add(traffic.get((cursor + i) % traffic.size()));
    }
    List<List<String>> results =
        frontEnd.search(queryIds.stream().map(task.queries()::get).toList(), shown);
    List<Interaction> out = new ArrayList<>(searches * (shown + 1));
    for (int i = 0; i < queryIds.size(); i++) {
      clock = clock.plus(SPACING);
      if (clock.isAfter(Instant.now())) {
        throw new IllegalStateException(
            "the simulated users' clock caught up with the wall clock after "
                + cursor
                + " searches (it starts "
                + HEAD_START
                + " back and moves "
                + SPACING
                + " per search): ask for fewer rounds or pairs per round");
      }
      String queryId = queryIds.get(i);
      String request = "search-" + cursor;
      ClickModel.Search search =
          new ClickModel.Search(
              request,
              queryId,
              task.queries().get(queryId),
              "user-" + cursor,
              results.get(i),
              task.relevance().getOrDefault(queryId, Map.of()));
      out.addAll(clicks.interactions(search, clock, random));
      cursor++;
    }
    return out;
  }
}
