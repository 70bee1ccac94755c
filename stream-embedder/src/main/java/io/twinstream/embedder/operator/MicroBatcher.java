package io.twinstream.embedder.operator;

import java.util.ArrayList;
import java.util.List;

/**
 * The micro-batching policy: a batch is flushed when it holds {@code maxSize} elements, or when its
 * first element has waited {@code maxWaitMillis}. Plain Java and time-agnostic (the caller passes
 * the clock), so it is tested without Flink and without sleeping. Not thread-safe.
 *
 * @param <T> element type
 */
public final class MicroBatcher<T> {

  private final int maxSize;
  private final long maxWaitMillis;
  private List<T> batch;
  private long deadline = Long.MAX_VALUE;

  public MicroBatcher(int maxSize, long maxWaitMillis) {
    if (maxSize < 1) {
      throw new IllegalArgumentException("maxSize must be at least 1, got " + maxSize);
    }
    if (maxWaitMillis < 0) {
      throw new IllegalArgumentException(
          "maxWaitMillis must not be negative, got " + maxWaitMillis);
    }
    this.maxSize = maxSize;
    this.maxWaitMillis = maxWaitMillis;
    this.batch = new ArrayList<>(maxSize);
  }

  /**
   * Adds an element that arrived at {@code now} (milliseconds).
   *
   * @return true when the batch is full and should be flushed now
   */
  public boolean add(T element, long now) {
    if (batch.isEmpty()) {
      deadline = saturatedAdd(now, maxWaitMillis);
    }
    batch.add(element);
    return batch.size() >= maxSize;
  }

  /** When the current batch must be flushed at the latest; {@link Long#MAX_VALUE} when empty. */
  public long deadline() {
    return deadline;
  }

  /** Whether the current batch is non-empty and its deadline has passed at {@code now}. */
  public boolean isDue(long now) {
    return !batch.isEmpty() && now >= deadline;
  }

  public boolean isEmpty() {
    return batch.isEmpty();
  }

  public int size() {
    return batch.size();
  }

  /** Takes the current batch (possibly empty) and starts a new one. */
  public List<T> drain() {
    List<T> out = batch;
    batch = new ArrayList<>(maxSize);
    deadline = Long.MAX_VALUE;
    return out;
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return r < a ? Long.MAX_VALUE : r;
  }
}
