package io.twinstream.encoder.serving;

import java.time.Duration;

/**
 * How often, and how patiently, an operation that failed for a reason that may pass (a registry
 * briefly unreachable) is tried again: {@code attempts} tries in all, waiting {@code first}, then
 * twice as long each time, at most {@link #MAX_WAIT} between two tries.
 *
 * @param first the wait before the second try
 * @param attempts tries in all (1 = no retry)
 * @param waiter how a wait is done ({@link Waiter#SLEEP}; a test passes one that changes the world
 *     instead of waiting for it to change)
 */
public record Backoff(Duration first, int attempts, Waiter waiter) {

  /** Waits between two tries. */
  @FunctionalInterface
  public interface Waiter {
    /** Sleeps on the calling thread. */
    Waiter SLEEP = wait -> Thread.sleep(wait.toMillis());

    void await(Duration wait) throws InterruptedException;
  }

  /** The longest wait between two tries. */
  public static final Duration MAX_WAIT = Duration.ofMinutes(1);

  /** Ten tries over about four minutes: 1, 2, 4, 8, 16, 32, 60, 60 and 60 s apart. */
  public static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(1), 10, Waiter.SLEEP);

  public Backoff {
    if (first.isNegative() || attempts < 1) {
      throw new IllegalArgumentException(
          "first must not be negative and attempts >= 1: " + first + ", " + attempts);
    }
  }

  /** The wait after try {@code attempt} (1-based) failed. */
  public Duration after(int attempt) {
    Duration wait = first.multipliedBy(1L << Math.min(attempt - 1, 20));
    return wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
  }
}
