package io.twinstream.joiner;

import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The joiner as a Kafka Streams topology:
 *
 * <pre>
 * interactions ──decode──┬──────────────── dead-letters (undecodable)
 *                        └─repartition by search──join──┬── feedback-pairs
 *   sentences (global table) ─────────────────────────┘ └── dead-letters (orphans, late)
 * </pre>
 *
 * Event time is the interactions' {@code ts} ({@link InteractionTimestamps}). The join keeps its
 * open searches and closing schedule in changelogged state stores, so with {@code exactly_once_v2}
 * a restart neither loses nor repeats a pair.
 */
public final class JoinerTopology {

  private JoinerTopology() {}

  /** The topology for {@code config}, counting into {@code metrics}. */
  public static Topology build(JoinerConfig config, JoinerMetrics metrics) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.globalTable(
        config.documentsTopic(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("documents"),
        Materialized.<String, byte[], KeyValueStore<Bytes, byte[]>>as(JoinSearches.DOCUMENTS)
            .withKeySerde(Serdes.String())
            .withValueSerde(Serdes.ByteArray()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(JoinSearches.SEARCHES),
            Serdes.String(),
            Serdes.ByteArray()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(JoinSearches.SCHEDULE),
            Serdes.String(),
            Serdes.ByteArray()));
    KStream<String, byte[]> decoded =
        builder.stream(
                config.interactionsTopic(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                    .withTimestampExtractor(new InteractionTimestamps())
                    .withName("interactions"))
            .process(() -> new DecodeInteractions(metrics), Named.as("decode"));
    Map<String, KStream<String, byte[]>> byKind =
        decoded
            .split(Named.as("decoded-"))
            .branch((k, v) -> Envelope.tag(v) == Envelope.DEAD, Branched.as("dead"))
            .defaultBranch(Branched.as("events"));
    toDeadLetters(byKind.get("decoded-dead"), config, "undecodable");
    KStream<String, byte[]> joined =
        byKind
            .get("decoded-events")
            .repartition(
                Repartitioned.with(Serdes.String(), Serdes.ByteArray()).withName("by-search"))
            .process(
                () -> new JoinSearches(config, metrics),
                Named.as("join"),
                JoinSearches.SEARCHES,
                JoinSearches.SCHEDULE);
    Map<String, KStream<String, byte[]>> outputs =
        joined
            .split(Named.as("joined-"))
            .branch((k, v) -> Envelope.tag(v) == Envelope.DEAD, Branched.as("dead"))
            .defaultBranch(Branched.as("pairs"));
    toDeadLetters(outputs.get("joined-dead"), config, "orphans-and-late");
    outputs
        .get("joined-pairs")
        .mapValues(Envelope::payload, Named.as("pair-bytes"))
        .to(
            config.pairsTopic(),
            Produced.with(Serdes.String(), Serdes.ByteArray()).withName("pairs"));
    return builder.build();
  }

  private static void toDeadLetters(
      KStream<String, byte[]> stream, JoinerConfig config, String name) {
    stream
        .mapValues(Envelope::payload, Named.as(name + "-bytes"))
        .to(
            config.deadLettersTopic(),
            Produced.with(Serdes.String(), Serdes.ByteArray()).withName(name));
  }
}
