package io.twinstream.embedder.decode;

import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A warning logged at most once per interval, saying how many like it were suppressed since the
 * last one: a burst of bad records must not flood the log (each one is kept, with its reason, on
 * the dead-letter topic). Plain Java; not thread-safe.
 */
public final class RateLimitedWarning {

  private final Logger log;
  private final long intervalMillis;
  private final LongSupplier clock;
  private long lastAt = Long.MIN_VALUE;
  private long suppressed;

  public RateLimitedWarning(Logger log, long intervalMillis, LongSupplier clock) {
    if (intervalMillis < 0) {
      throw new IllegalArgumentException(
          "intervalMillis must not be negative, got " + intervalMillis);
    }
    this.log = log;
    this.intervalMillis = intervalMillis;
    this.clock = clock;
  }

  /**
   * Logs {@code message} unless a warning was logged less than the interval ago.
   *
   * @return whether it was logged
   */
  public boolean warn(String message) {
    long now = clock.getAsLong();
    if (lastAt != Long.MIN_VALUE && now - lastAt < intervalMillis) {
      suppressed++;
      return false;
    }
    if (suppressed > 0) {
      log.warn("{} ({} more like it in the last {} s)", message, suppressed, (now - lastAt) / 1000);
    } else {
      log.warn(message);
    }
    lastAt = now;
    suppressed = 0;
    return true;
  }

  /** Warnings suppressed since the last one logged. */
  public long suppressed() {
    return suppressed;
  }
}
