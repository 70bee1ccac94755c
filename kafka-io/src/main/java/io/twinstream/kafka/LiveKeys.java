package io.twinstream.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The live keys of a compacted topic (the documents of {@code sentences}): every key whose last
 * committed record up to the topic's current end is not a tombstone. Values are read and discarded;
 * the keys are held in memory (about 100 bytes each).
 */
public final class LiveKeys {

  private LiveKeys() {}

  /**
   * @param kafka client configuration ({@code bootstrap.servers} and any security settings)
   * @throws org.apache.kafka.common.KafkaException when the end is not reached within {@code
   *     timeout}
   */
  public static Set<String> read(Map<String, Object> kafka, String topic, Duration timeout) {
    Set<String> live = new HashSet<>();
    TopicReader.forEachCommitted(
        kafka,
        topic,
        timeout,
        r -> {
          if (r.key() == null) {
            return;
          }
          String key = new String(r.key(), StandardCharsets.UTF_8);
          if (r.value() == null) {
            live.remove(key);
          } else {
            live.add(key);
          }
        });
    return live;
  }
}
