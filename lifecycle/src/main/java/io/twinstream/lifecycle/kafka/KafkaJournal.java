package io.twinstream.lifecycle.kafka;

import io.twinstream.kafka.RecordFeed;
import io.twinstream.kafka.Topics;
import io.twinstream.lifecycle.JournalTakenOver;
import io.twinstream.lifecycle.LifecycleJournal;
import io.twinstream.lifecycle.Phase;
import io.twinstream.lifecycle.VersionRecord;
import io.twinstream.records.LifecyclePhase;
import io.twinstream.records.VersionLifecycle;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.LifecycleKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle's journal on a compacted topic ({@code model-lifecycle} by default), one record per
 * step, keyed {@code REGISTRY/VERSION}: compaction keeps each version's last record, which is its
 * state. Read to its end when opened (read committed); afterwards this process's own writes keep it
 * current.
 *
 * <p>One controller per registry and topic owns it: every write is a Kafka transaction of the
 * transactional id {@code twinstream-lifecycle-TOPIC-REGISTRY}, and opening the journal fences the
 * producer of any controller that opened it before (Kafka's producer epochs), then reads what that
 * one committed. The older controller's next write or {@link #claim()} throws {@link
 * JournalTakenOver}, and it stops before any further effect.
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

  private volatile JournalTakenOver takenOver;

  private KafkaJournal(Map<String, Object> kafka, String topic, String registryName) {
    this.topic = topic;
    this.registryName = registryName;
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(topic, registryName));
    this.producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    try {
      // Fences the producer of a controller that opened the journal before, and aborts what it
      // left open: what is read next is all it committed.
      producer.initTransactions();
    } catch (KafkaException e) {
      producer.close(Duration.ZERO);
      throw e;
    }
  }

  /** The transactional id of the journal of {@code registryName} on {@code topic}. */
  static String transactionalId(String topic, String registryName) {
    return "twinstream-lifecycle-" + topic + "-" + registryName;
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
    for (RecordFeed.Entry<VersionLifecycle> e :
        RecordFeed.readAll(
            kafka,
            topic,
            VersionLifecycle.class,
            key -> LifecycleKeys.isVersionOf(key, registryName),
            Duration.ofSeconds(60))) {
      try {
        VersionRecord v = fromAvro(e.value());
        journal.records.put(v.version(), v);
      } catch (IllegalArgumentException unknown) {
        LOG.warn(
            "Skipping a lifecycle record at {}@{}: {}", topic, e.offset(), unknown.getMessage());
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
    byte[] key =
        LifecycleKeys.version(registryName, record.version()).getBytes(StandardCharsets.UTF_8);
    try {
      transact(new ProducerRecord<>(topic, key, codec.encode(toAvro(record))));
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

  /**
   * Commits an empty marker (a tombstone under {@code _owner/REGISTRY}, a key no reader of the
   * versions takes) in a transaction of this journal's id: it fails once another controller opened
   * the journal.
   */
  @Override
  public synchronized void claim() throws IOException {
    byte[] key = LifecycleKeys.owner(registryName).getBytes(StandardCharsets.UTF_8);
    try {
      transact(new ProducerRecord<>(topic, key, null));
    } catch (ExecutionException | KafkaException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IOException("cannot confirm the journal on " + topic + ": " + cause, cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while confirming the journal on " + topic, e);
    }
  }

  /** Sends {@code record} in a transaction of its own and commits it. */
  private void transact(ProducerRecord<byte[], byte[]> record)
      throws ExecutionException, InterruptedException, JournalTakenOver {
    if (takenOver != null) {
      throw takenOver;
    }
    try {
      producer.beginTransaction();
      producer.send(record).get();
      producer.commitTransaction();
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      takenOver = fenced(e);
      throw takenOver;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ProducerFencedException
          || e.getCause() instanceof InvalidProducerEpochException) {
        takenOver = fenced(e.getCause());
        throw takenOver;
      }
      abortQuietly(e);
      throw e;
    } catch (KafkaException e) {
      abortQuietly(e);
      throw e;
    }
  }

  /** Aborts the open transaction after {@code failure}; an abort that fails too is noted on it. */
  private void abortQuietly(Exception failure) {
    try {
      producer.abortTransaction();
    } catch (KafkaException e) {
      failure.addSuppressed(e);
    }
  }

  private JournalTakenOver fenced(Throwable cause) {
    return new JournalTakenOver(
        "another controller opened the journal of registry "
            + registryName
            + " on "
            + topic
            + " (transactional id "
            + transactionalId(topic, registryName)
            + ") and took it over; this one stops. Run one controller per registry and store"
            + " (store.auto-backfill=false for a twinstream run beside a twinstream controller).",
        cause);
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
