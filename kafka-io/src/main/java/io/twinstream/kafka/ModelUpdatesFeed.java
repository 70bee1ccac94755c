package io.twinstream.kafka;

import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.ModelUpdateKeys;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The one reader of a registry's updates on the compacted {@code model-updates} topic for
 * everything but the Flink job's own source: a {@link RecordFeed} of {@link ModelUpdate}s (read
 * committed, from the beginning, each decoded once) that keeps the registry's ({@link
 * ModelUpdateKeys}). Either {@link #readAll} once, or {@link #follow} on a thread of its own.
 */
public final class ModelUpdatesFeed implements AutoCloseable {

  /**
   * One update of the registry, as read.
   *
   * @param key its record key ({@link ModelUpdateKeys})
   * @param update the decoded update
   * @param offset where it lies on the topic (its partition's order is the order of decisions)
   */
  public record Entry(String key, ModelUpdate update, long offset) {

    /** A serving decision: PROMOTED or ROLLED_BACK. */
    public boolean servingDecision() {
      return update.getStatus() == ModelStatus.PROMOTED
          || update.getStatus() == ModelStatus.ROLLED_BACK;
    }

    /** A FULLY_SERVED announcement. */
    public boolean fullyServed() {
      return update.getStatus() == ModelStatus.FULLY_SERVED;
    }

    /** The version it is about. */
    public String version() {
      return update.getVersion().toString();
    }
  }

  private final RecordFeed<ModelUpdate> feed;

  private ModelUpdatesFeed(RecordFeed<ModelUpdate> feed) {
    this.feed = feed;
  }

  private static Entry entry(RecordFeed.Entry<ModelUpdate> e) {
    return new Entry(e.key(), e.value(), e.offset());
  }

  /**
   * Follows {@code topic} on a thread of its own from its beginning: every update of {@code
   * registryName} goes to {@code sink}, in topic order, on that thread.
   *
   * @param kafka client configuration ({@code bootstrap.servers} and any security settings)
   */
  public static ModelUpdatesFeed follow(
      Map<String, Object> kafka, String topic, String registryName, Consumer<Entry> sink) {
    return new ModelUpdatesFeed(
        RecordFeed.follow(
            kafka,
            topic,
            ModelUpdate.class,
            key -> ModelUpdateKeys.belongsTo(key, registryName),
            e -> sink.accept(entry(e))));
  }

  /**
   * Every update of {@code registryName} on {@code topic} now, in topic order: read to the end
   * offsets it has when the read starts.
   *
   * @throws org.apache.kafka.common.KafkaException when the end is not reached within {@code
   *     timeout}
   */
  public static List<Entry> readAll(
      Map<String, Object> kafka, String topic, String registryName, Duration timeout) {
    return RecordFeed.readAll(
            kafka,
            topic,
            ModelUpdate.class,
            key -> ModelUpdateKeys.belongsTo(key, registryName),
            timeout)
        .stream()
        .map(ModelUpdatesFeed::entry)
        .toList();
  }

  /**
   * Waits until every update on the topic when the feed started has gone to the sink.
   *
   * @return whether it has, within {@code timeout}
   */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return feed.awaitCaughtUp(timeout);
  }

  /** Records read so far (of every registry). */
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
