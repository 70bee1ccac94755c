package io.twinstream.testkit;

import io.twinstream.records.Interaction;
import io.twinstream.records.InteractionType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Simulated users who read a result list top down and lose interest: a user examines rank {@code k}
 * (0-based) with probability {@code (1/(k+1))^bias} and clicks an examined result with probability
 * {@link #clickRelevant} if it is relevant, {@link #clickIrrelevant} if not (noise). This is the
 * position-based click model (Craswell et al., WSDM 2008; the form used by Joachims et al., WSDM
 * 2017): clicks say less the higher a result is ranked, which is what the feedback joiner's
 * inverse-propensity weights correct.
 *
 * @param bias examination exponent: 0 = every rank examined (no position bias), 1 = rank {@code k}
 *     examined with probability {@code 1/(k+1)}
 * @param clickRelevant probability of clicking an examined relevant result
 * @param clickIrrelevant probability of clicking an examined irrelevant result
 */
public record ClickModel(double bias, double clickRelevant, double clickIrrelevant) {

  /** After the impressions, when the first click comes; later clicks follow a second apart. */
  public static final Duration FIRST_CLICK_AFTER = Duration.ofSeconds(2);

  public ClickModel {
    if (!(bias >= 0)) {
      throw new IllegalArgumentException("bias must be >= 0, got " + bias);
    }
    for (double p : new double[] {clickRelevant, clickIrrelevant}) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException("click probabilities must be in [0, 1], got " + p);
      }
    }
  }

  /** Rank {@code k} examined with probability {@code 1/(k+1)}; clicks 0.95 relevant, 0.02 not. */
  public static ClickModel positionBiased(double bias) {
    return new ClickModel(bias, 0.95, 0.02);
  }

  /** Probability that a user examines rank {@code rank} (0-based). */
  public double examination(int rank) {
    return Math.pow(1.0 / (rank + 1), bias);
  }

  /** One search a user makes: what the front end shows and what the user clicks. */
  public record Search(
      String requestId,
      String queryId,
      String queryText,
      String sessionId,
      List<String> shown,
      Map<String, Integer> relevance) {}

  /**
   * The interactions a front end logs for {@code search} at {@code time}: an impression per shown
   * document, in rank order, then the user's clicks. Draws two numbers per rank from {@code users},
   * whatever is clicked, so that the same seed gives the same draws whatever the ranking.
   */
  public List<Interaction> interactions(Search search, Instant time, Random users) {
    List<Interaction> out = new ArrayList<>();
    for (int rank = 0; rank < search.shown().size(); rank++) {
      out.add(event(search, rank, InteractionType.IMPRESSION, time));
    }
    Instant click = time.plus(FIRST_CLICK_AFTER);
    for (int rank = 0; rank < search.shown().size(); rank++) {
      boolean examined = users.nextDouble() < examination(rank);
      boolean relevant = search.relevance().getOrDefault(search.shown().get(rank), 0) > 0;
      double roll = users.nextDouble();
      if (examined && roll < (relevant ? clickRelevant : clickIrrelevant)) {
        out.add(event(search, rank, InteractionType.CLICK, click));
        click = click.plusSeconds(1);
      }
    }
    return out;
  }

  private static Interaction event(Search search, int rank, InteractionType type, Instant time) {
    return Interaction.newBuilder()
        .setRequestId(search.requestId())
        .setQueryId(search.queryId())
        .setQueryText(search.queryText())
        .setDocId(search.shown().get(rank))
        .setType(type)
        .setPosition(rank)
        .setSessionId(search.sessionId())
        .setTs(time)
        .build();
  }
}
