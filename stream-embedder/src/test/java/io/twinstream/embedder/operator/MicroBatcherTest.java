package io.twinstream.embedder.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MicroBatcherTest {

  @Test
  void reportsFullWhenTheBatchReachesItsSize() {
    MicroBatcher<String> b = new MicroBatcher<>(3, 100);
    assertFalse(b.add("a", 0));
    assertFalse(b.add("b", 1));
    assertTrue(b.add("c", 2));
    assertEquals(List.of("a", "b", "c"), b.drain());
    assertTrue(b.isEmpty());
  }

  @Test
  void reportsFullWhenTheEstimatedTokensReachTheBudget() {
    MicroBatcher<String> b = new MicroBatcher<>(100, 50, 1_000);
    assertFalse(b.add("a", 20, 0));
    assertFalse(b.add("b", 29, 0));
    assertTrue(b.add("c", 30, 0), "the element that crosses the budget fills the batch");
    assertEquals(79, b.tokens());
    assertEquals(List.of("a", "b", "c"), b.drain());
    assertEquals(0, b.tokens());
    assertFalse(b.isFull());
  }

  @Test
  void deadlineIsSetByTheFirstElementOfABatch() {
    MicroBatcher<String> b = new MicroBatcher<>(10, 100);
    assertEquals(Long.MAX_VALUE, b.deadline());
    b.add("a", 1_000);
    b.add("b", 1_050);
    assertEquals(1_100, b.deadline());
    assertFalse(b.isDue(1_099));
    assertTrue(b.isDue(1_100));
    b.drain();
    assertEquals(Long.MAX_VALUE, b.deadline());
    b.add("c", 2_000);
    assertEquals(2_100, b.deadline());
  }

  @Test
  void anEmptyBatchIsNeverDue() {
    MicroBatcher<String> b = new MicroBatcher<>(10, 0);
    assertFalse(b.isDue(Long.MAX_VALUE));
    assertEquals(List.of(), b.drain());
  }

  @Test
  void zeroWaitMakesEveryBatchDueAtOnce() {
    MicroBatcher<String> b = new MicroBatcher<>(10, 0);
    b.add("a", 5);
    assertTrue(b.isDue(5));
  }

  @Test
  void hugeWaitDoesNotOverflow() {
    MicroBatcher<String> b = new MicroBatcher<>(10, Long.MAX_VALUE);
    b.add("a", 5);
    assertEquals(Long.MAX_VALUE, b.deadline());
  }

  @Test
  void invalidSettingsAreRefusedWithTheirValue() {
    assertEquals(
        "maxSize must be at least 1, got 0",
        assertThrows(IllegalArgumentException.class, () -> new MicroBatcher<>(0, 1)).getMessage());
    assertEquals(
        "maxWaitMillis must not be negative, got -1",
        assertThrows(IllegalArgumentException.class, () -> new MicroBatcher<>(1, -1)).getMessage());
    assertEquals(
        "maxTokens must be at least 1, got 0",
        assertThrows(IllegalArgumentException.class, () -> new MicroBatcher<>(1, 0, 1))
            .getMessage());
  }
}
