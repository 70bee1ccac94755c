package io.twinstream.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NegativeFlipsTest {

  @Test
  void aFlipIsAQueryAnsweredRightBeforeAndWrongAfter() {
    Map<String, Double> before = Map.of("a", 1.0, "b", 0.3, "c", 0.0, "d", 0.5);
    Map<String, Double> after = Map.of("a", 0.0, "b", 0.9, "c", 1.0, "d", 0.2);
    NegativeFlips flips = NegativeFlips.of(before, after);
    assertEquals(3, flips.answered()); // a, b, d had a relevant document in the top 10
    assertEquals(1, flips.flipped()); // a lost it; d ranks worse but still answers
    assertEquals(1 / 3.0, flips.share(), 1e-12);
  }

  @Test
  void queriesTheOtherModelWasNotAskedAreNotCounted() {
    NegativeFlips flips = NegativeFlips.of(Map.of("a", 1.0, "b", 1.0), Map.of("a", 0.0));
    assertEquals(new NegativeFlips(1, 1), flips);
    assertEquals(new NegativeFlips(3, 1), flips.plus(new NegativeFlips(2, 0)));
    assertEquals(0.0, new NegativeFlips(0, 0).share());
  }
}
