package io.twinstream.trainer.online;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainerStateCodecTest {

  @Test
  void theCheckpointedStateRoundTripsAndRestoresTheSameBuffer() throws Exception {
    ReplayBuffer buffer = new ReplayBuffer(50, 0.3, 10);
    for (int i = 0; i < 80; i++) {
      buffer.offer(
          new Feedback(
              "query \"" + (i % 13) + "\" ünïcode",
              "doc\t" + i,
              i % 3 == 0 ? 1f : 0.25f,
              1000L + i,
              i % 4 == 0 ? 1f : 1f + i / 10f)); // joiner weights survive a restart
    }
    TrainerState state =
        new TrainerState(
            buffer.snapshot(), 7, 12, 123456789L, true, List.of("ft-0005", "ft-0006"), 40);
    TrainerState back = TrainerStateCodec.decode(TrainerStateCodec.encode(state));
    assertEquals(state, back);
    ReplayBuffer restored = ReplayBuffer.restore(back.buffer(), 50, 0.3, 10);
    assertEquals(buffer.snapshot(), restored.snapshot());
    assertEquals(buffer.sample(20, 3), restored.sample(20, 3));
  }

  @Test
  void aStateWrittenBeforeAnnouncedPromotionsExistedStillReads() throws Exception {
    byte[] old =
        ("{\"round\":3,\"newPairs\":1,\"lastRoundMillis\":5,\"roundRunning\":false,"
                + "\"buffer\":[[\"q\",\"d\",1.0,9,1,false]]}")
            .getBytes(StandardCharsets.UTF_8);
    TrainerState state = TrainerStateCodec.decode(old);
    assertEquals(3, state.round());
    assertEquals(List.of(), state.announcedPromotions());
    assertEquals(0, state.servingSince(), "the initial model learnt from nothing in the buffer");
    assertEquals("d", state.buffer().get(0).feedback().candidate());
  }
}
