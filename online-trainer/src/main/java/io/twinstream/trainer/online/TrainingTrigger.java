package io.twinstream.trainer.online;

import java.io.Serializable;
import java.time.Duration;

/**
 * When to start a fine-tuning round: after {@code everyPairs} new pieces of training feedback, or
 * once {@code every} has passed since the last round if at least {@code minPairs} new ones arrived
 * meanwhile.
 *
 * @param everyPairs new training feedback that starts a round (default 1,000)
 * @param every time after which a round starts anyway (default 10 minutes)
 * @param minPairs fewest new pieces for a time-triggered round (default 32)
 */
public record TrainingTrigger(long everyPairs, Duration every, long minPairs)
    implements Serializable {

  public TrainingTrigger {
    if (everyPairs < 1 || minPairs < 1 || every.isNegative() || every.isZero()) {
      throw new IllegalArgumentException(
          "everyPairs and minPairs must be >= 1 and every positive: "
              + everyPairs
              + ", "
              + every
              + ", "
              + minPairs);
    }
  }

  /** 1,000 pairs or 10 minutes (with at least 32 new pairs). */
  public static TrainingTrigger defaults() {
    return new TrainingTrigger(1000, Duration.ofMinutes(10), 32);
  }

  /**
   * Whether to start a round, given the feedback since the last one and when that was (epoch
   * millis).
   */
  public boolean due(long newPairs, long lastRoundMillis, long nowMillis) {
    return newPairs >= everyPairs
        || (newPairs >= minPairs && nowMillis - lastRoundMillis >= every.toMillis());
  }
}
