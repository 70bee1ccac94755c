package io.twinstream.embedder.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class EncodingLaneTest {

  @Test
  void aBatchRunsOnTheLanesThreadAndIsTakenOnceItEnds() throws Exception {
    try (EncodingLane<String> lane = new EncodingLane<>("lane-test")) {
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch done = new CountDownLatch(1);
      AtomicReference<String> ranOn = new AtomicReference<>();
      lane.submit(
          () -> {
            ranOn.set(Thread.currentThread().getName());
            release.await();
            return "embedded";
          },
          done::countDown);
      assertTrue(lane.busy());
      assertNull(lane.takeIfDone(), "still running");
      assertTrue(lane.busy());
      release.countDown();
      assertTrue(done.await(1, TimeUnit.MINUTES), "the owner is told when the batch ends");
      assertEquals("embedded", lane.takeIfDone());
      assertFalse(lane.busy());
      assertEquals("lane-test", ranOn.get());
      assertNotEquals("lane-test", Thread.currentThread().getName());
    }
  }

  @Test
  void onlyOneBatchIsInFlight() throws Exception {
    try (EncodingLane<String> lane = new EncodingLane<>("lane-test")) {
      lane.submit(() -> "first", () -> {});
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> lane.submit(() -> "second", () -> {}));
      assertEquals("a batch is in flight already", e.getMessage());
      assertEquals("first", lane.await());
      lane.submit(() -> "second", () -> {});
      assertEquals("second", lane.await());
    }
  }

  @Test
  void awaitWithNothingInFlightReturnsNull() throws Exception {
    try (EncodingLane<String> lane = new EncodingLane<>("lane-test")) {
      assertNull(lane.await());
      assertNull(lane.takeIfDone());
    }
  }

  @Test
  void whatTheBatchThrewIsRethrownToTheOwnerAndFreesTheLane() throws Exception {
    try (EncodingLane<String> lane = new EncodingLane<>("lane-test")) {
      IOException failure = new IOException("model file vanished");
      CountDownLatch done = new CountDownLatch(1);
      lane.submit(
          () -> {
            throw failure;
          },
          done::countDown);
      assertTrue(done.await(1, TimeUnit.MINUTES), "told even when the batch failed");
      assertSame(failure, assertThrows(IOException.class, lane::takeIfDone));
      assertFalse(lane.busy());
    }
  }
}
