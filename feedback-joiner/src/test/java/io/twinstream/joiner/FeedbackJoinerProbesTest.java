package io.twinstream.joiner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

/** What {@code /healthz} answers in each of Kafka Streams' states ({@code /readyz}: RUNNING). */
class FeedbackJoinerProbesTest {

  @Test
  void theJoinerIsAliveWhileStartingRebalancingOrRunningAndNotOnceStreamsHasStopped() {
    Set<KafkaStreams.State> alive = EnumSet.noneOf(KafkaStreams.State.class);
    for (KafkaStreams.State state : KafkaStreams.State.values()) {
      if (FeedbackJoiner.alive(state)) {
        alive.add(state);
      }
    }
    assertEquals(
        EnumSet.of(
            KafkaStreams.State.CREATED, KafkaStreams.State.REBALANCING, KafkaStreams.State.RUNNING),
        alive);
  }
}
