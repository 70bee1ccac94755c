package io.twinstream.embedder.operator;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One batch at a time on a thread of its own, so that the operator's thread keeps reading and
 * batching while the encoder works on the previous batch. Its owner (one thread) submits, and takes
 * the result either when told the batch is done or by waiting for it; at most one batch is in
 * flight, so results come back in the order they were submitted. Plain Java.
 *
 * @param <R> what a batch produces
 */
public final class EncodingLane<R> implements AutoCloseable {

  private final ExecutorService thread;
  private CompletableFuture<R> inFlight;

  /**
   * @param name the lane thread's name
   */
  public EncodingLane(String name) {
    this.thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, name);
              t.setDaemon(true);
              return t;
            });
  }

  /** Whether a batch is in flight (submitted and not yet taken). */
  public boolean busy() {
    return inFlight != null;
  }

  /**
   * Starts {@code work} on the lane's thread; {@code onDone} runs on that thread once it ends,
   * normally or not (typically: hand a "take the result" task to the owner's thread).
   *
   * @throws IllegalStateException when a batch is in flight already
   */
  public void submit(Callable<R> work, Runnable onDone) {
    if (inFlight != null) {
      throw new IllegalStateException("a batch is in flight already");
    }
    CompletableFuture<R> future = new CompletableFuture<>();
    inFlight = future;
    thread.execute(
        () -> {
          try {
            future.complete(work.call());
          } catch (Throwable t) {
            future.completeExceptionally(t);
          }
          onDone.run();
        });
  }

  /**
   * The in-flight batch's result if it has ended, and the lane is free again; null when nothing is
   * in flight or it is still running.
   *
   * @throws Exception what the batch threw
   */
  public R takeIfDone() throws Exception {
    if (inFlight == null || !inFlight.isDone()) {
      return null;
    }
    return take();
  }

  /**
   * Waits for the in-flight batch and returns its result, freeing the lane; null when nothing is in
   * flight.
   *
   * @throws Exception what the batch threw
   */
  public R await() throws Exception {
    if (inFlight == null) {
      return null;
    }
    return take();
  }

  private R take() throws Exception {
    CompletableFuture<R> done = inFlight;
    inFlight = null;
    try {
      return done.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  /** Stops the lane's thread, waiting up to a minute for a batch still running. */
  @Override
  public void close() throws InterruptedException {
    thread.shutdown();
    if (!thread.awaitTermination(1, TimeUnit.MINUTES)) {
      thread.shutdownNow();
    }
  }
}
