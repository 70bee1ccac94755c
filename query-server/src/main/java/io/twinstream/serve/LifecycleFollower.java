package io.twinstream.serve;

import io.twinstream.kafka.RecordFeed;
import io.twinstream.kafka.Topics;
import io.twinstream.records.VersionLifecycle;
import io.twinstream.schemas.LifecycleKeys;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;

/**
 * Follows the version lifecycle's journal ({@code model-lifecycle}, written by the controller or by
 * {@code twinstream run}): each version's last record — its phase, when it got there, its backfill,
 * cut-over and drop deadline — for {@code /v1/models}. Creates the topic (compacted, one partition)
 * when it is missing, as the lifecycle does, so that a server started before the first controller
 * sees what that one records.
 */
public final class LifecycleFollower implements AutoCloseable {

  private final Map<String, VersionLifecycle> versions = new ConcurrentHashMap<>();
  private final RecordFeed<VersionLifecycle> feed;

  public LifecycleFollower(Map<String, Object> kafka, String topic, String registryName) {
    try (Admin admin = Admin.create(kafka)) {
      Topics.create(
          admin, Map.of(topic, 1), Map.of(topic, Topics.COMPACTED), Duration.ofSeconds(30));
    }
    this.feed =
        RecordFeed.follow(
            kafka,
            topic,
            VersionLifecycle.class,
            key -> LifecycleKeys.isVersionOf(key, registryName),
            e -> versions.put(e.value().getVersion().toString(), e.value()));
  }

  /** Each version's last lifecycle record. */
  public Map<String, VersionLifecycle> versions() {
    return Map.copyOf(versions);
  }

  /** Waits until every record on the topic when it started is read; whether it was in time. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return feed.awaitCaughtUp(timeout);
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
