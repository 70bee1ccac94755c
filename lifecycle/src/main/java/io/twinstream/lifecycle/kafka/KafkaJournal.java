package io.twinstream.lifecycle.kafka;

import io.twinstream.kafka.TopicReader;
import io.twinstream.kafka.Topics;
import io.twinstream.lifecycle.LifecycleJournal;
import io.twinstream.lifecycle.Phase;
import io.twinstream.lifecycle.VersionRecord;
import io.twinstream.records.LifecyclePhase;
import io.twinstream.records.VersionLifecycle;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.RecordDecodeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle's journal on a compacted topic ({@code model-lifecycle} by default), one record per
 * step, keyed {@code REGISTRY/VERSION}: compaction keeps each version's last record, which is its
 * state. Read to its end when opened (read committed); afterwards this process's own writes keep it
 * current, so one controller per registry writes to it (a second one started later reads what the
 * first wrote).
 */
public final class KafkaJournal implements LifecycleJournal, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaJournal.class);

  /** The default topic. */
  public static final String DEFAULT_TOPIC = "model-lifecycle";

  private final String topic;
  private final String registryName;
  private final KafkaProducer<byte[], byte[]> producer;
  private final AvroCodec<VersionLifecycle> codec = AvroCodec.of(VersionLifecycle.class);
  private final Map<String, VersionRecord> records = new LinkedHashMap<>();

  private KafkaJournal(Map<String, Object> kafka, String topic, String registryName) {
    this.topic = topic;
    this.registryName = registryName;
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    this.producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * Opens the journal of {@code registryName} on {@code topic}, creating the topic (compacted, one
   * partition) if it is missing, and reads it.
   *
   * @param kafka client configuration ({@code bootstrap.servers} and any security settings)
   */
  public static KafkaJournal open(Map<String, Object> kafka, String topic, String registryName) {
    try (Admin admin = Admin.create(kafka)) {
      Topics.create(
          admin, Map.of(topic, 1), Map.of(topic, Topics.COMPACTED), Duration.ofSeconds(30));
    }
    KafkaJournal journal = new KafkaJournal(kafka, topic, registryName);
    String prefix = registryName + "/";
    for (ConsumerRecord<byte[], byte[]> r :
        TopicReader.readCommitted(kafka, topic, Duration.ofSeconds(60))) {
      String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
      if (!key.startsWith(prefix) || r.value() == null) {
        continue;
      }
      try {
        VersionRecord v = fromAvro(journal.codec.decode(r.value()));
        journal.records.put(v.version(), v);
      } catch (RecordDecodeException | IllegalArgumentException e) {
        LOG.warn(
            "Skipping an unreadable lifecycle record at {}@{}: {}",
            topic,
            r.offset(),
            e.getMessage());
      }
    }
    return journal;
  }

  @Override
  public synchronized Map<String, VersionRecord> read() {
    return Map.copyOf(records);
  }

  @Override
  public synchronized void write(VersionRecord record) throws IOException {
    byte[] key = (registryName + "/" + record.version()).getBytes(StandardCharsets.UTF_8);
    try {
      producer.send(new ProducerRecord<>(topic, key, codec.encode(toAvro(record)))).get();
    } catch (ExecutionException | KafkaException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IOException(
          "cannot record "
              + record.version()
              + " "
              + record.phase()
              + " on "
              + topic
              + ": "
              + cause.getMessage(),
          cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while recording " + record.version(), e);
    }
    records.put(record.version(), record);
  }

  static VersionLifecycle toAvro(VersionRecord r) {
    return VersionLifecycle.newBuilder()
        .setVersion(r.version())
        .setPhase(LifecyclePhase.valueOf(r.phase().name()))
        .setAt(r.at())
        .setBackfillStarted(r.backfillStarted())
        .setBackfillFinished(r.backfillFinished())
        .setRows(r.rows())
        .setDocuments(r.documents())
        .setCutOver(r.cutOver())
        .setDropDue(r.dropDue())
        .setNote(r.note())
        .build();
  }

  static VersionRecord fromAvro(VersionLifecycle a) {
    if (a.getPhase() == LifecyclePhase.UNKNOWN) {
      throw new IllegalArgumentException(
          "version " + a.getVersion() + " is in a phase this controller does not know");
    }
    return new VersionRecord(
        a.getVersion().toString(),
        Phase.valueOf(a.getPhase().name()),
        a.getAt(),
        a.getBackfillStarted(),
        a.getBackfillFinished(),
        a.getRows(),
        a.getDocuments(),
        a.getCutOver(),
        a.getDropDue(),
        a.getNote().toString());
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
