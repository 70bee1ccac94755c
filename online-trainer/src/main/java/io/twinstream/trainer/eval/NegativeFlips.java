package io.twinstream.trainer.eval;

import java.util.Map;

/**
 * Negative flips (RACT, ICLR 2022): of the queries one model answered right — a relevant document
 * in its top 10, i.e. nDCG@10 above 0 — those another answers wrong. A model better on average may
 * still break queries that worked; users notice those.
 *
 * @param answered queries the first model answered right
 * @param flipped of those, the queries the second does not
 */
public record NegativeFlips(int answered, int flipped) {

  /**
   * Counts the flips from {@code before} to {@code after}: nDCG@10 per query id, as {@link
   * Evaluation#perQuery()} gives; queries missing from {@code after} are not counted.
   */
  public static NegativeFlips of(Map<String, Double> before, Map<String, Double> after) {
    int answered = 0;
    int flipped = 0;
    for (Map.Entry<String, Double> q : before.entrySet()) {
      Double next = after.get(q.getKey());
      if (q.getValue() > 0 && next != null) {
        answered++;
        if (next <= 0) {
          flipped++;
        }
      }
    }
    return new NegativeFlips(answered, flipped);
  }

  /** {@code flipped / answered}; 0 when nothing was answered. */
  public double share() {
    return answered == 0 ? 0 : flipped / (double) answered;
  }

  /** The sum of two counts (e.g. over two evaluation tasks). */
  public NegativeFlips plus(NegativeFlips other) {
    return new NegativeFlips(answered + other.answered, flipped + other.flipped);
  }
}
