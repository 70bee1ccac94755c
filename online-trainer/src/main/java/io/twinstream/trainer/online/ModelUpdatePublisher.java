package io.twinstream.trainer.online;

import io.twinstream.records.ModelUpdate;
import java.io.IOException;

/**
 * Where the trainer's {@link ModelUpdate}s go: the port between the continuous-learning core and
 * whatever carries the announcements. In a Flink job the trainer operator emits them into the job's
 * transactional Kafka sink, so an update becomes visible exactly when the checkpoint that covers it
 * completes.
 */
public interface ModelUpdatePublisher {

  /** Sends {@code update}. Called on the trainer's caller thread, in the order rounds finish. */
  void publish(ModelUpdate update) throws IOException;

  /**
   * Whether an update for {@code version} was published before and is committed (visible to
   * readers). Asked after a restart about a round that had finished before it, so that its outcome
   * is announced exactly once; it may be slow (it can read the whole model-updates topic).
   */
  boolean published(String version) throws IOException;
}
