package io.twinstream.reliability;

import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces {@code count} sentences with ids {@code r-000000}, … at a steady rate on a thread of its
 * own, idempotently (a retried send is written once), and remembers where each one landed, so that
 * an audit can tell which input offsets a job has covered.
 */
final class SentenceFeed implements AutoCloseable {

  /** Where a record landed. */
  record Position(TopicPartition partition, long offset) {}

  private final String bootstrap;
  private final String prefix;
  private final String topic;
  private final Corpus corpus;
  private final int count;
  private final double perSecond;
  private final Map<String, Position> positions = new ConcurrentHashMap<>();
  private final AtomicLong acknowledged = new AtomicLong();
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private final Thread thread;
  private volatile boolean closed;

  SentenceFeed(String bootstrap, String topic, Corpus corpus, int count, double perSecond) {
    this(bootstrap, topic, corpus, count, perSecond, "r");
  }

  /** As above, with ids {@code PREFIX-000000}, … (feeds of one case need distinct prefixes). */
  SentenceFeed(
      String bootstrap, String topic, Corpus corpus, int count, double perSecond, String prefix) {
    this.prefix = prefix;
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.corpus = corpus;
    this.count = count;
    this.perSecond = perSecond;
    this.thread = new Thread(this::produce, "sentence-feed");
    thread.setDaemon(true);
  }

  String id(long i) {
    return String.format("%s-%06d", prefix, i);
  }

  SentenceFeed start() {
    thread.start();
    return this;
  }

  private void produce() {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    // a broker restarted under the feed: keep retrying for minutes rather than lose a record
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "600000");
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "600000");
    AvroCodec<Sentence> codec = AvroCodec.of(Sentence.class);
    long started = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (long i = 0; i < count && !closed; i++) {
        long due = started + (long) (i * 1e9 / perSecond);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        String id = id(i);
        Sentence s =
            Sentence.newBuilder()
                .setId(id)
                .setText(corpus.text(i + (prefix.hashCode() & 0xffff)))
                .setEventTime(Instant.now())
                .build();
        producer.send(
            new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), codec.encode(s)),
            (meta, e) -> {
              if (e != null) {
                failure.compareAndSet(null, e);
              } else {
                positions.put(
                    id,
                    new Position(
                        new TopicPartition(meta.topic(), meta.partition()), meta.offset()));
                acknowledged.incrementAndGet();
              }
            });
      }
      producer.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      failure.compareAndSet(null, e);
    }
  }

  /** Records acknowledged by the broker so far. */
  long acknowledged() {
    return acknowledged.get();
  }

  /** Waits until every record is acknowledged; throws what failed a send. */
  void awaitDone(long timeoutMillis) throws Exception {
    thread.join(timeoutMillis);
    if (failure.get() != null) {
      throw failure.get();
    }
    if (thread.isAlive()) {
      throw new IllegalStateException(
          "the feed did not finish within "
              + timeoutMillis
              + " ms: "
              + acknowledged()
              + " of "
              + count);
    }
  }

  boolean done() {
    return !thread.isAlive();
  }

  Map<String, Position> positions() {
    return positions;
  }

  int count() {
    return count;
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    thread.join(30_000);
  }
}
