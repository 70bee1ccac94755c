package io.twinstream.lifecycle.kafka;

import io.twinstream.kafka.ModelUpdatesFeed;
import io.twinstream.lifecycle.ServingDecisions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The registry's serving decisions as {@link ModelUpdatesFeed} reads them: the newest PROMOTED or
 * ROLLED_BACK on {@code model-updates}, in topic order. Opening waits until the feed has read what
 * the topic held then, so a controller never acts on an older decision than the topic's.
 */
public final class ModelUpdatesDecisions implements ServingDecisions, AutoCloseable {

  private final ModelUpdatesFeed feed;
  private final Object changed = new Object();
  private volatile String serving;

  private ModelUpdatesDecisions(Map<String, Object> kafka, String topic, String registryName) {
    this.feed =
        ModelUpdatesFeed.follow(
            kafka,
            topic,
            registryName,
            e -> {
              if (e.servingDecision()) {
                synchronized (changed) {
                  serving = e.version();
                  changed.notifyAll();
                }
              }
            });
  }

  /**
   * Follows {@code registryName}'s decisions on {@code topic}.
   *
   * @throws IllegalStateException when the topic cannot be read to its end within {@code timeout}
   */
  public static ModelUpdatesDecisions follow(
      Map<String, Object> kafka, String topic, String registryName, Duration timeout)
      throws InterruptedException {
    ModelUpdatesDecisions d = new ModelUpdatesDecisions(kafka, topic, registryName);
    if (!d.feed.awaitCaughtUp(timeout)) {
      d.close();
      throw new IllegalStateException(
          "could not read " + topic + " to its end within " + timeout + ": is Kafka reachable?");
    }
    return d;
  }

  @Override
  public Optional<String> serving() {
    return Optional.ofNullable(serving);
  }

  @Override
  public void await(Duration timeout) throws InterruptedException {
    synchronized (changed) {
      String before = serving;
      long until = System.nanoTime() + timeout.toNanos();
      while (java.util.Objects.equals(before, serving)) {
        long left = until - System.nanoTime();
        if (left <= 0) {
          return;
        }
        changed.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  /** Whether it still follows the topic. */
  public boolean alive() {
    return feed.alive();
  }

  @Override
  public void close() {
    feed.close();
  }
}
