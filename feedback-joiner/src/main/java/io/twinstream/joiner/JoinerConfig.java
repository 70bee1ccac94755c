package io.twinstream.joiner;

import java.time.Duration;
import java.util.List;

/**
 * The joiner's settings. {@link #defaults()} are what {@code twinstream joiner} uses unless told
 * otherwise; {@link #OPTIONS} describes each (docs/feedback-joiner.md lists the same, checked by a
 * test).
 *
 * @param interactionsTopic impressions and clicks ({@code Interaction}), any key
 * @param documentsTopic document texts ({@code Sentence}, key = document id), read as a table
 * @param pairsTopic where the pairs go ({@code FeedbackPair}, key = query id)
 * @param deadLettersTopic undecodable, orphan and late events ({@code DeadLetter})
 * @param sessionGap a search is complete when none of its events came for this long (event time)
 * @param grace how much longer out-of-order events of a complete search are still accepted
 * @param lateRetention how long a closed search is remembered to recognise its late events
 * @param skipNext whether the unclicked document right below a click is a negative too
 * @param propensity position-bias correction of the pairs' weights
 * @param satisfiedDwell the dwell time from which a click has label 1
 * @param idleAdvance when no event came for this long (wall clock), event time follows the wall
 *     clock so that the last searches close; 0 = only events move event time
 */
public record JoinerConfig(
    String interactionsTopic,
    String documentsTopic,
    String pairsTopic,
    String deadLettersTopic,
    Duration sessionGap,
    Duration grace,
    Duration lateRetention,
    boolean skipNext,
    Propensity propensity,
    Duration satisfiedDwell,
    Duration idleAdvance) {

  /** The shortest non-zero {@code --idle-advance}. */
  public static final Duration MIN_IDLE_ADVANCE = Duration.ofSeconds(5);

  /** One documented option: its command-line name, default and meaning. */
  public record Option(String name, String defaultValue, String description) {}

  /** Every option, in documentation order. */
  public static final List<Option> OPTIONS =
      List.of(
          new Option("--interactions", "interactions", "Topic of impressions and clicks."),
          new Option(
              "--documents", "sentences", "Topic of document texts (key = document id), a table."),
          new Option("--pairs", "feedback-pairs", "Topic the training pairs go to."),
          new Option(
              "--dead-letters", "dead-letters", "Topic of undecodable, orphan and late events."),
          new Option(
              "--session-gap",
              "PT5M",
              "A search is complete when none of its events came for this long (event time)."),
          new Option(
              "--grace", "PT1M", "Out-of-order events of a complete search accepted this long."),
          new Option(
              "--late-retention",
              "PT24H",
              "How long a closed search is remembered, to dead-letter its late events as late."),
          new Option(
              "--skip-next",
              "false",
              "Also make the unclicked result right below a click a negative."),
          new Option(
              "--propensity-eta",
              "0.5",
              "Position bias: examination probability (1/(rank+1))^eta; 0 = unweighted pairs."),
          new Option("--max-weight", "10", "Largest inverse-propensity weight of a pair."),
          new Option(
              "--satisfied-dwell",
              "PT30S",
              "Dwell time from which a click has label 1 (shorter: dwell / this)."),
          new Option(
              "--idle-advance",
              "PT30S",
              "With no event for this long (wall clock), event time follows the wall clock so the"
                  + " last searches close; PT0S = never, else at least PT5S."));

  public JoinerConfig {
    for (String topic :
        new String[] {interactionsTopic, documentsTopic, pairsTopic, deadLettersTopic}) {
      if (topic == null || topic.isBlank()) {
        throw new IllegalArgumentException("every joiner topic must be named");
      }
    }
    positive(sessionGap, "--session-gap");
    if (grace.isNegative()) {
      throw new IllegalArgumentException("--grace must not be negative, got " + grace);
    }
    positive(lateRetention, "--late-retention");
    positive(satisfiedDwell, "--satisfied-dwell");
    if (idleAdvance == null
        || idleAdvance.isNegative()
        || (!idleAdvance.isZero() && idleAdvance.compareTo(MIN_IDLE_ADVANCE) < 0)) {
      throw new IllegalArgumentException(
          "--idle-advance must be 0 or at least "
              + MIN_IDLE_ADVANCE
              + " (longer than the joiner's commit interval, 1 s: events still in an open"
              + " transaction upstream must not be taken for late), got "
              + idleAdvance);
    }
  }

  private static void positive(Duration d, String name) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }

  /** The defaults of {@link #OPTIONS}. */
  public static JoinerConfig defaults() {
    return new JoinerConfig(
        "interactions",
        "sentences",
        "feedback-pairs",
        "dead-letters",
        Duration.ofMinutes(5),
        Duration.ofMinutes(1),
        Duration.ofHours(24),
        false,
        new Propensity(0.5, 10),
        Duration.ofSeconds(30),
        Duration.ofSeconds(30));
  }

  public JoinerConfig withTopics(
      String interactions, String documents, String pairs, String deadLetters) {
    return new JoinerConfig(
        interactions,
        documents,
        pairs,
        deadLetters,
        sessionGap,
        grace,
        lateRetention,
        skipNext,
        propensity,
        satisfiedDwell,
        idleAdvance);
  }

  public JoinerConfig withWindows(Duration gap, Duration grace, Duration retention) {
    return new JoinerConfig(
        interactionsTopic,
        documentsTopic,
        pairsTopic,
        deadLettersTopic,
        gap,
        grace,
        retention,
        skipNext,
        propensity,
        satisfiedDwell,
        idleAdvance);
  }

  public JoinerConfig withPairs(boolean next, Propensity bias, Duration dwell) {
    return new JoinerConfig(
        interactionsTopic,
        documentsTopic,
        pairsTopic,
        deadLettersTopic,
        sessionGap,
        grace,
        lateRetention,
        next,
        bias,
        dwell,
        idleAdvance);
  }

  public JoinerConfig withIdleAdvance(Duration value) {
    return new JoinerConfig(
        interactionsTopic,
        documentsTopic,
        pairsTopic,
        deadLettersTopic,
        sessionGap,
        grace,
        lateRetention,
        skipNext,
        propensity,
        satisfiedDwell,
        value);
  }

  /** The pair rules these settings describe. */
  public PairRules rules() {
    return new PairRules(skipNext, propensity, satisfiedDwell);
  }
}
