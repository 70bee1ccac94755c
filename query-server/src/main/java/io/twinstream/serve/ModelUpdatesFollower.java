package io.twinstream.serve;

import io.twinstream.kafka.ModelUpdatesFeed;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Follows a registry's updates on the compacted {@code model-updates} topic ({@link
 * ModelUpdatesFeed}): the serving decisions and FULLY_SERVED announcements go to {@code sink};
 * every update's status is kept per version for {@code /v1/models}.
 */
public final class ModelUpdatesFollower implements AutoCloseable {

  private final Map<String, ModelStatus> statuses = new ConcurrentHashMap<>();
  private final ModelUpdatesFeed feed;

  public ModelUpdatesFollower(
      Map<String, Object> kafka, String topic, String registryName, Consumer<ModelUpdate> sink) {
    this.feed =
        ModelUpdatesFeed.follow(
            kafka,
            topic,
            registryName,
            e -> {
              statuses.put(e.version(), e.update().getStatus());
              if (e.servingDecision() || e.fullyServed()) {
                sink.accept(e.update());
              }
            });
  }

  /** The last status announced per version. */
  public Map<String, ModelStatus> statuses() {
    return Map.copyOf(statuses);
  }

  /** Records read so far. */
  public long read() {
    return feed.read();
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
