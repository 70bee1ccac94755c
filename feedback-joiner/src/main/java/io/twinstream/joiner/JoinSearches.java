package io.twinstream.joiner;

import io.twinstream.joiner.PairRules.Orphan;
import io.twinstream.joiner.PairRules.Result;
import io.twinstream.joiner.SearchLog.Origin;
import io.twinstream.records.DeadLetter;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Interaction;
import io.twinstream.records.InteractionType;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.RecordDecodeException;
import io.twinstream.schemas.decode.RecordDecoders;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Second stage, after the events are partitioned by search: keeps each open search's {@link
 * SearchLog}, closes it when its session gap and grace period have passed in event (stream) time,
 * and turns it into pairs with {@link PairRules}. Events of a closed search are late: dead-lettered
 * and counted, never joined. Closing is driven by a stream-time punctuation every second over an
 * index ordered by closing time, so each punctuation touches only the searches that close.
 */
final class JoinSearches implements Processor<String, byte[], String, byte[]> {

  static final String SEARCHES = "joiner-searches";
  static final String SCHEDULE = "joiner-schedule";
  static final String DOCUMENTS = "joiner-documents";
  static final Duration PUNCTUATE_EVERY = Duration.ofSeconds(1);

  private static final String OPEN = "o|";
  private static final String CLOSED = "c|";

  private final JoinerConfig config;
  private final PairRules rules;
  private final JoinerMetrics metrics;
  private final AvroCodec<Interaction> interactions = AvroCodec.of(Interaction.class);
  private final AvroCodec<Sentence> sentences = AvroCodec.of(Sentence.class);
  private final AvroCodec<FeedbackPair> pairs = AvroCodec.of(FeedbackPair.class);
  private final AvroCodec<DeadLetter> deadLetters = AvroCodec.of(DeadLetter.class);
  private ProcessorContext<String, byte[]> context;
  private KeyValueStore<String, byte[]> searches;
  private KeyValueStore<String, byte[]> schedule;
  private KeyValueStore<String, ValueAndTimestamp<byte[]>> documents;
  private long lastArrival = -1;
  private long lastStreamTime;

  JoinSearches(JoinerConfig config, JoinerMetrics metrics) {
    this.config = config;
    this.rules = config.rules();
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.searches = context.getStateStore(SEARCHES);
    this.schedule = context.getStateStore(SCHEDULE);
    this.documents = context.getStateStore(DOCUMENTS);
    context.schedule(PUNCTUATE_EVERY, PunctuationType.STREAM_TIME, this::closeDue);
    context.schedule(PUNCTUATE_EVERY, PunctuationType.WALL_CLOCK_TIME, this::closeWhileIdle);
  }

  /**
   * Stream time only moves with records: when none has come for {@code idleAdvance}, event time is
   * taken to follow the wall clock from the last record's, so that the last searches of a quiet
   * stream close too.
   */
  private void closeWhileIdle(long wallClock) {
    if (lastArrival < 0 || config.idleAdvance().isZero()) {
      return;
    }
    long idle = wallClock - lastArrival;
    if (idle >= config.idleAdvance().toMillis()) {
      closeDue(Math.max(context.currentStreamTimeMs(), lastStreamTime + idle));
    }
  }

  @Override
  public void process(Record<String, byte[]> record) {
    lastArrival = context.currentSystemTimeMs();
    lastStreamTime = context.currentStreamTimeMs();
    Envelope.Event event = Envelope.readEvent(record.value());
    Interaction interaction;
    try {
      interaction = interactions.decode(event.value());
    } catch (RecordDecodeException e) {
      throw new IllegalStateException("an event that passed decoding no longer decodes", e);
    }
    String key = record.key();
    long time = interaction.getTs().toEpochMilli();
    byte[] closedAt = schedule.get(CLOSED + key);
    if (closedAt != null) {
      late(event, record, "its search closed at " + Instant.ofEpochMilli(decodeLong(closedAt)));
      return;
    }
    long horizon = context.currentStreamTimeMs() - config.lateRetention().toMillis();
    if (time < horizon) {
      late(event, record, "it is older than --late-retention " + config.lateRetention());
      return;
    }
    byte[] stored = searches.get(key);
    SearchLog search =
        stored == null
            ? new SearchLog(
                interaction.getQueryId().toString(),
                interaction.getQueryText().toString(),
                interaction.getSessionId().toString())
            : SearchLog.fromBytes(stored);
    long closeBefore = stored == null ? -1 : closeAt(search);
    String text =
        interaction.getType() == InteractionType.IMPRESSION
            ? text(interaction.getDocId().toString())
            : null;
    if (!search.add(interaction, text, event.origin())) {
      metrics.add("duplicates", 1);
    }
    searches.put(key, search.toBytes());
    long closeAfter = closeAt(search);
    if (closeAfter != closeBefore) {
      if (closeBefore >= 0) {
        schedule.delete(OPEN + stamp(closeBefore) + key);
      }
      schedule.put(OPEN + stamp(closeAfter) + key, new byte[0]);
    }
  }

  private long closeAt(SearchLog search) {
    return search.lastEventTime() + config.sessionGap().toMillis() + config.grace().toMillis();
  }

  /** Closes every search due by {@code streamTime} and forgets closed searches past retention. */
  private void closeDue(long streamTime) {
    List<String> due = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it =
        schedule.range(OPEN + stamp(0), OPEN + stamp(streamTime))) {
      while (it.hasNext()) {
        due.add(it.next().key);
      }
    }
    for (String entry : due) {
      String key = entry.substring(OPEN.length() + 13);
      schedule.delete(entry);
      byte[] stored = searches.get(key);
      if (stored == null) {
        continue;
      }
      searches.delete(key);
      close(key, SearchLog.fromBytes(stored), streamTime);
    }
    List<String> expired = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it =
        schedule.range(CLOSED + "!" + stamp(0), CLOSED + "!" + stamp(streamTime))) {
      while (it.hasNext()) {
        expired.add(it.next().key);
      }
    }
    for (String entry : expired) {
      schedule.delete(entry);
      schedule.delete(CLOSED + entry.substring(CLOSED.length() + 1 + 13));
    }
  }

  private void close(String key, SearchLog search, long streamTime) {
    Result result = rules.apply(search, this::text);
    for (FeedbackPair pair : result.pairs()) {
      metrics.pair(pair.getSource().toString(), pair.getWeight());
      context.forward(
          new Record<>(
              search.queryId(), Envelope.output(Envelope.PAIR, pairs.encode(pair)), streamTime));
    }
    for (Orphan orphan : result.orphans()) {
      forwardDead(orphan.origin(), null, orphan.reason(), streamTime);
    }
    metrics.add("pairs_out", result.pairs().size());
    metrics.add("positives_out", result.positives());
    metrics.add("negatives_out", result.pairs().size() - result.positives());
    metrics.add("orphans", result.orphans().size());
    // Last: whoever sees a search counted as closed sees its pairs counted too.
    metrics.add("searches_closed", 1);
    metrics.joinLatency(Math.max(0, System.currentTimeMillis() - search.lastEventTime()));
    // Remember the closed search until its late events no longer matter.
    long forgetAt = streamTime + config.lateRetention().toMillis();
    schedule.put(CLOSED + key, encodeLong(streamTime));
    schedule.put(CLOSED + "!" + stamp(forgetAt) + key, new byte[0]);
  }

  private void late(Envelope.Event event, Record<String, byte[]> record, String why) {
    metrics.add("late", 1);
    forwardDead(
        event.origin(),
        event.value(),
        String.format(
            Locale.ROOT,
            "late event at %s for search %s: %s (session gap %s, grace %s)",
            event.origin().position(),
            record.key(),
            why,
            config.sessionGap(),
            config.grace()),
        record.timestamp());
  }

  private void forwardDead(Origin origin, byte[] value, String reason, long timestamp) {
    DeadLetter letter =
        DeadLetter.newBuilder()
            .setTopic(origin.topic())
            .setPartition(origin.partition())
            .setOffset(origin.offset())
            .setKey(null)
            .setValue(value == null ? null : ByteBuffer.wrap(value))
            .setError(reason)
            .setStage(RecordDecoders.JOIN_STAGE)
            .setAt(Instant.now())
            .build();
    context.forward(
        new Record<>(
            (String) null, Envelope.output(Envelope.DEAD, deadLetters.encode(letter)), timestamp));
  }

  /** The document's text on the documents topic now, or null if it has none (or a bad record). */
  private String text(String docId) {
    ValueAndTimestamp<byte[]> value = documents.get(docId);
    if (value == null || value.value() == null) {
      return null;
    }
    try {
      return sentences.decode(value.value()).getText().toString();
    } catch (RecordDecodeException e) {
      return null;
    }
  }

  /** Zero-padded epoch millis, so that the schedule's keys sort by time. */
  private static String stamp(long millis) {
    return String.format(Locale.ROOT, "%013d", Math.max(0, millis));
  }

  private static byte[] encodeLong(long value) {
    return ByteBuffer.allocate(8).putLong(value).array();
  }

  private static long decodeLong(byte[] bytes) {
    return ByteBuffer.wrap(bytes).getLong();
  }
}
