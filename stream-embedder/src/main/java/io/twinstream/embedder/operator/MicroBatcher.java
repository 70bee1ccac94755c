package io.twinstream.embedder.operator;

import java.util.ArrayList;
import java.util.List;

/**
 * The micro-batching policy: a batch is full when it holds {@code maxSize} elements or its
 * elements' estimated tokens reach {@code maxTokens} (so a batch of long documents is cut sooner
 * than one of short sentences), and due when its first element has waited {@code maxWaitMillis}.
 * Plain Java and time-agnostic (the caller passes the clock), so it is tested without Flink and
 * without sleeping. Not thread-safe.
 *
 * @param <T> element type
 */
public final class MicroBatcher<T> {

  private final int maxSize;
  private final int maxTokens;
  private final long maxWaitMillis;
  private List<T> batch;
  private long tokens;
  private long deadline = Long.MAX_VALUE;

  /** A policy without a token budget. */
  public MicroBatcher(int maxSize, long maxWaitMillis) {
    this(maxSize, Integer.MAX_VALUE, maxWaitMillis);
  }

  public MicroBatcher(int maxSize, int maxTokens, long maxWaitMillis) {
    if (maxSize < 1) {
      throw new IllegalArgumentException("maxSize must be at least 1, got " + maxSize);
    }
    if (maxTokens < 1) {
      throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
    }
    if (maxWaitMillis < 0) {
      throw new IllegalArgumentException(
          "maxWaitMillis must not be negative, got " + maxWaitMillis);
    }
    this.maxSize = maxSize;
    this.maxTokens = maxTokens;
    this.maxWaitMillis = maxWaitMillis;
    this.batch = new ArrayList<>(Math.min(maxSize, 1024));
  }

  /**
   * Adds an element that arrived at {@code now} (milliseconds), not counted against the token
   * budget.
   *
   * @return true when the batch is full and should be flushed now
   */
  public boolean add(T element, long now) {
    return add(element, 0, now);
  }

  /**
   * Adds an element of about {@code elementTokens} tokens that arrived at {@code now}
   * (milliseconds). The element that crosses the budget is part of the batch it fills.
   *
   * @return true when the batch is full and should be flushed now
   */
  public boolean add(T element, int elementTokens, long now) {
    if (batch.isEmpty()) {
      deadline = saturatedAdd(now, maxWaitMillis);
    }
    batch.add(element);
    tokens += elementTokens;
    return isFull();
  }

  /** Whether the batch holds its maximum of elements or of tokens. */
  public boolean isFull() {
    return batch.size() >= maxSize || tokens >= maxTokens;
  }

  /** The estimated tokens of the current batch. */
  public long tokens() {
    return tokens;
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
    batch = new ArrayList<>(Math.min(maxSize, 1024));
    tokens = 0;
    deadline = Long.MAX_VALUE;
    return out;
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return r < a ? Long.MAX_VALUE : r;
  }
}
