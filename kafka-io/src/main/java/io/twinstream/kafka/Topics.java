package io.twinstream.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;

/** Topic creation that waits until the topics can be used. */
public final class Topics {

  /** The configuration of a compacted topic (model-updates). */
  public static final Map<String, String> COMPACTED = Map.of("cleanup.policy", "compact");

  private Topics() {}

  /**
   * Creates the topics that do not exist yet (replication factor 1 unless the broker default
   * applies), then waits until every partition of every topic has a leader.
   *
   * @throws KafkaException naming the topic when creation fails or leaders do not appear in time
   */
  public static void create(
      Admin admin,
      Map<String, Integer> topics,
      Map<String, Map<String, String>> configs,
      Duration timeout) {
    List<NewTopic> fresh = new ArrayList<>();
    for (Map.Entry<String, Integer> t : topics.entrySet()) {
      NewTopic topic = new NewTopic(t.getKey(), t.getValue(), (short) 1);
      Map<String, String> config = configs.get(t.getKey());
      if (config != null) {
        topic.configs(config);
      }
      fresh.add(topic);
    }
    try {
      var result = admin.createTopics(fresh);
      for (Map.Entry<String, KafkaFuture<Void>> f : result.values().entrySet()) {
        try {
          f.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new KafkaException(
                "Cannot create topic " + f.getKey() + ": " + e.getCause().getMessage(), e);
          }
        }
      }
      awaitLeaders(admin, topics.keySet(), timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while creating topics " + topics.keySet(), e);
    } catch (TimeoutException e) {
      throw new KafkaException("timed out creating topics " + topics.keySet(), e);
    }
  }

  /**
   * Waits until every partition has a leader that answers as leader: the metadata can name a leader
   * before that broker has taken the partition over, and a produce in that window fails with
   * NOT_LEADER_OR_FOLLOWER (and an idempotent producer can then get stuck on out-of-order
   * sequences). A ListOffsets request is answered only by the acting leader, so its success is the
   * signal.
   */
  private static void awaitLeaders(Admin admin, Set<String> topics, Duration timeout)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String missing = null;
      try {
        Map<String, TopicDescription> described =
            admin
                .describeTopics(topics)
                .allTopicNames()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> probe = new HashMap<>();
        for (TopicDescription d : described.values()) {
          if (d.partitions().stream().anyMatch(p -> p.leader() == null || p.leader().isEmpty())) {
            missing = d.name();
          }
          d.partitions()
              .forEach(
                  p -> probe.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest()));
        }
        if (missing == null) {
          admin.listOffsets(probe).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
      } catch (ExecutionException e) {
        missing = topics.toString() + " (" + e.getCause().getMessage() + ")";
      }
      if (missing == null) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new KafkaException(
            "topic " + missing + " has partitions without a leader after " + timeout);
      }
      Thread.sleep(50);
    }
  }
}
