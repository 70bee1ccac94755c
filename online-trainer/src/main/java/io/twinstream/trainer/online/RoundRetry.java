package io.twinstream.trainer.online;

import java.io.Serializable;
import java.time.Duration;

/**
 * How a round that failed on I/O (the registry unreachable, a store timing out) is tried again: the
 * same round number and the same sample, after {@code firstDelay}, then twice as long each time, at
 * most {@code attempts} times; after that it counts as failed and the next round waits for the
 * trigger. A round that fails for any other reason (a bug, a model that cannot train) is not tried
 * again.
 *
 * @param attempts tries after the first failure (0 = never)
 * @param firstDelay wait before the first of them
 */
public record RoundRetry(int attempts, Duration firstDelay) implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The longest wait between two tries. */
  static final Duration MAX_DELAY = Duration.ofMinutes(10);

  /** Five tries, from 10 s on (10 s, 20 s, 40 s, 80 s, 160 s: about five minutes in all). */
  public static final RoundRetry DEFAULTS = new RoundRetry(5, Duration.ofSeconds(10));

  public RoundRetry {
    if (attempts < 0) {
      throw new IllegalArgumentException("attempts must be >= 0, got " + attempts);
    }
    if (firstDelay.isNegative()) {
      throw new IllegalArgumentException("firstDelay must not be negative, got " + firstDelay);
    }
  }

  /** The wait before try {@code n} (1-based). */
  public Duration delay(int n) {
    Duration d = firstDelay;
    for (int i = 1; i < n && d.compareTo(MAX_DELAY) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : d;
  }
}
