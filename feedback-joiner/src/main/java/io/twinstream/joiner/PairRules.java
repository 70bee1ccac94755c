package io.twinstream.joiner;

import io.twinstream.joiner.SearchLog.Click;
import io.twinstream.joiner.SearchLog.Origin;
import io.twinstream.joiner.SearchLog.Shown;
import io.twinstream.records.FeedbackPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns one closed search into training pairs (Joachims 2002: a clicked result is preferred to the
 * results shown above it that were skipped):
 *
 * <ul>
 *   <li>every clicked document that was shown is a positive ({@code source = click}); with a dwell
 *       time its label is {@code min(1, dwell / satisfiedDwell)}, so a quick bounce (under half of
 *       it) becomes negative feedback;
 *   <li>every document shown above a click and not clicked is a negative ({@code skip-above}); with
 *       {@code skipNext}, so is the one right below a click ({@code skip-next});
 *   <li>a pair's weight is the inverse propensity of its click's rank ({@link Propensity}); a
 *       negative takes the weight of the nearest click below it (for skip-next: of its click).
 * </ul>
 *
 * A click without an impression in its search and a document without a text are orphans: no pair, a
 * reason instead. The text of a document is the one it had when it was shown (the user judged
 * that), or its current text if it was unknown then.
 */
public final class PairRules {

  /** Source labels of the pairs. */
  public static final String CLICK = "click";

  public static final String SKIP_ABOVE = "skip-above";
  public static final String SKIP_NEXT = "skip-next";

  /** An event that produced no pair, and why. */
  public record Orphan(Origin origin, String docId, String reason) {}

  /** A search's pairs and orphans. */
  public record Result(List<FeedbackPair> pairs, List<Orphan> orphans) {

    /** How many pairs have label at least 0.5. */
    public long positives() {
      return pairs.stream().filter(p -> p.getLabel() >= 0.5f).count();
    }
  }

  private final boolean skipNext;
  private final Propensity propensity;
  private final Duration satisfiedDwell;

  public PairRules(boolean skipNext, Propensity propensity, Duration satisfiedDwell) {
    if (satisfiedDwell.isNegative() || satisfiedDwell.isZero()) {
      throw new IllegalArgumentException(
          "--satisfied-dwell must be positive, got " + satisfiedDwell);
    }
    this.skipNext = skipNext;
    this.propensity = propensity;
    this.satisfiedDwell = satisfiedDwell;
  }

  /**
   * The pairs and orphans of {@code search}; {@code currentText} gives a document's text now (null
   * if unknown).
   */
  public Result apply(SearchLog search, Function<String, String> currentText) {
    return new Join(search, currentText).run();
  }

  /** One search being turned into pairs. */
  private final class Join {
    private final SearchLog search;
    private final Function<String, String> currentText;
    private final List<FeedbackPair> pairs = new ArrayList<>();
    private final List<Orphan> orphans = new ArrayList<>();
    private final Map<String, Click> clickOf = new LinkedHashMap<>();
    private final Set<String> negatives = new HashSet<>();
    private final Set<String> unknown = new HashSet<>();

    Join(SearchLog search, Function<String, String> currentText) {
      this.search = search;
      this.currentText = currentText;
    }

    Result run() {
      Map<String, Shown> shownByDoc = new LinkedHashMap<>();
      for (Shown s : search.shown()) {
        shownByDoc.merge(s.docId(), s, (a, b) -> a.position() <= b.position() ? a : b);
      }
      List<Shown> byRank =
          shownByDoc.values().stream().sorted(Comparator.comparingInt(Shown::position)).toList();
      List<Shown> clicks = new ArrayList<>();
      for (Click c : search.clicks()) {
        Shown s = shownByDoc.get(c.docId());
        if (s == null) {
          orphans.add(
              new Orphan(
                  c.origin(),
                  c.docId(),
                  "click on document "
                      + c.docId()
                      + " without an impression in its search (query "
                      + search.queryId()
                      + ", session "
                      + search.sessionId()
                      + ")"));
          continue;
        }
        clickOf.put(c.docId(), c);
        clicks.add(s);
      }
      for (Shown s : clicks) {
        Click c = clickOf.get(s.docId());
        String text = text(s, c.origin());
        if (text != null) {
          pairs.add(
              pair(search, s, text, label(c), propensity.weight(s.position()), CLICK, c.time()));
        }
      }
      List<Shown> clicksByRank =
          clicks.stream().sorted(Comparator.comparingInt(Shown::position)).toList();
      for (Shown s : byRank) {
        if (clickOf.containsKey(s.docId())) {
          continue;
        }
        clicksByRank.stream()
            .filter(c -> c.position() > s.position())
            .findFirst()
            .ifPresent(below -> negative(s, below, SKIP_ABOVE));
      }
      if (skipNext) {
        for (Shown c : clicksByRank) {
          byRank.stream()
              .filter(s -> s.position() > c.position() && !clickOf.containsKey(s.docId()))
              .findFirst()
              .ifPresent(next -> negative(next, c, SKIP_NEXT));
        }
      }
      return new Result(pairs, orphans);
    }

    /** A skipped document, weighted by the click that makes it a negative. */
    private void negative(Shown skipped, Shown click, String source) {
      if (!negatives.add(skipped.docId())) {
        return;
      }
      String text = text(skipped, skipped.origin());
      if (text != null) {
        pairs.add(
            pair(
                search,
                skipped,
                text,
                0f,
                propensity.weight(click.position()),
                source,
                clickOf.get(click.docId()).time()));
      }
    }

    /** The document's text, or null after reporting it (once) as unknown. */
    private String text(Shown s, Origin origin) {
      String text = s.text() != null ? s.text() : currentText.apply(s.docId());
      if (text == null && unknown.add(s.docId())) {
        orphans.add(
            new Orphan(
                origin,
                s.docId(),
                "unknown document "
                    + s.docId()
                    + " (query "
                    + search.queryId()
                    + "): no text for it on the documents topic"));
      }
      return text;
    }
  }

  private float label(Click c) {
    if (c.dwellMillis() == null) {
      return 1f;
    }
    return (float)
        Math.min(1.0, Math.max(0.0, c.dwellMillis() / (double) satisfiedDwell.toMillis()));
  }

  private static FeedbackPair pair(
      SearchLog search,
      Shown doc,
      String text,
      float label,
      float weight,
      String source,
      long time) {
    return FeedbackPair.newBuilder()
        .setAnchor(search.queryText())
        .setCandidate(text)
        .setLabel(label)
        .setSource(source)
        .setEventTime(Instant.ofEpochMilli(time))
        .setAnchorId(search.queryId())
        .setCandidateId(doc.docId())
        .setWeight(weight)
        .setPosition(doc.position())
        .build();
  }
}
