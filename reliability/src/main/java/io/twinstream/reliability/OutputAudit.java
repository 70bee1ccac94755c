package io.twinstream.reliability;

import io.twinstream.records.DeadLetter;
import io.twinstream.records.Embedding;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.RecordDecodeException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads what a job committed ({@code read_committed}) on its embeddings and dead-letter topics from
 * the beginning, and counts: embeddings per sentence id (with the version that made each), dead
 * letters per input position. Exactly once means one per id or position, none missing.
 */
final class OutputAudit implements AutoCloseable {

  /** What the audit keeps of an embedding: enough to count and to check versions. */
  record Seen(String modelVersion, long embeddedAt) {}

  /** What it keeps of a dead letter. */
  record Letter(String topic, int partition, long offset, String stage, String error) {
    String position() {
      return topic + "-" + partition + "@" + offset;
    }
  }

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String embeddingsTopic;
  private final AvroCodec<Embedding> embeddings = AvroCodec.of(Embedding.class);
  private final AvroCodec<DeadLetter> deadLetters = AvroCodec.of(DeadLetter.class);
  private final Map<String, List<Seen>> byId = new HashMap<>();
  private final Map<String, List<Letter>> byPosition = new HashMap<>();
  private final Set<String> deleted = new HashSet<>();
  private long records;
  private long undecodable;
  private PrintStream progress;

  /** Prints a line of progress every 10 s while {@link #awaitUntil} waits. */
  OutputAudit progressTo(PrintStream out) {
    this.progress = out;
    return this;
  }

  OutputAudit(String bootstrap, String embeddingsTopic, String deadLettersTopic) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    this.consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.embeddingsTopic = embeddingsTopic;
    List<TopicPartition> all = new ArrayList<>();
    for (String topic : List.of(embeddingsTopic, deadLettersTopic)) {
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(60))) {
        all.add(new TopicPartition(topic, p.partition()));
      }
    }
    consumer.assign(all);
    consumer.seekToBeginning(all);
  }

  /** Reads what has been committed since the last call (one poll); true if anything came. */
  boolean poll(Duration wait) {
    boolean any = false;
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(wait)) {
      any = true;
      records++;
      try {
        if (r.topic().equals(embeddingsTopic) && r.value() == null) {
          deleted.add(new String(r.key(), StandardCharsets.UTF_8));
        } else if (r.topic().equals(embeddingsTopic)) {
          Embedding e = embeddings.decode(r.value());
          byId.computeIfAbsent(e.getId(), k -> new ArrayList<>(1))
              .add(new Seen(e.getModelVersion(), e.getEmbeddedAt().toEpochMilli()));
        } else {
          DeadLetter d = deadLetters.decode(r.value());
          Letter letter =
              new Letter(d.getTopic(), d.getPartition(), d.getOffset(), d.getStage(), d.getError());
          byPosition.computeIfAbsent(letter.position(), k -> new ArrayList<>(1)).add(letter);
        }
      } catch (RecordDecodeException e) {
        undecodable++;
      }
    }
    return any;
  }

  /**
   * Polls until {@code done} holds, or nothing new came for {@code idle}, or {@code max} passed.
   *
   * @return whether {@code done} holds
   */
  boolean awaitUntil(BooleanSupplier done, Duration idle, Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    long lastNews = System.nanoTime();
    long lastSaid = System.nanoTime();
    while (!done.getAsBoolean()) {
      long now = System.nanoTime();
      if (now > deadline || now - lastNews > idle.toNanos()) {
        return false;
      }
      if (progress != null && now - lastSaid > 10_000_000_000L) {
        lastSaid = now;
        progress.printf(
            "[%tT] output so far: %,d embeddings, %,d dead letters%n",
            System.currentTimeMillis(), byId.size(), byPosition.size());
      }
      if (poll(Duration.ofMillis(500))) {
        lastNews = System.nanoTime();
      }
    }
    return true;
  }

  /** Whether every id in {@code ids} has an embedding. */
  boolean embeddedAll(Collection<String> ids) {
    for (String id : ids) {
      if (!byId.containsKey(id)) {
        return false;
      }
    }
    return true;
  }

  Map<String, List<Seen>> embeddings() {
    return byId;
  }

  /** Ids a tombstone on the embeddings topic deleted. */
  Set<String> deleted() {
    return deleted;
  }

  Map<String, List<Letter>> deadLetters() {
    return byPosition;
  }

  /** Records read in all. */
  long records() {
    return records;
  }

  /** Records on the output topics that did not decode (none expected). */
  long undecodable() {
    return undecodable;
  }

  /** Ids of {@code expected} without an embedding. */
  long lost(Collection<String> expected) {
    return expected.stream().filter(id -> !byId.containsKey(id)).count();
  }

  /** Embeddings beyond the first of each id. */
  long duplicated() {
    return byId.values().stream().mapToLong(l -> l.size() - 1L).sum();
  }

  @Override
  public void close() {
    consumer.close();
  }
}
