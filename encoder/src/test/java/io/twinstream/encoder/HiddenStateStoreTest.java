package io.twinstream.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HiddenStateStoreTest {

  private static final int HIDDEN = 3;

  @TempDir Path dir;

  /** A batch of two rows of 4 token slots: row r, token t, value h = 100r + 10t + h. */
  private static FloatBuffer batch() {
    float[] v = new float[2 * 4 * HIDDEN];
    for (int r = 0; r < 2; r++) {
      for (int t = 0; t < 4; t++) {
        for (int h = 0; h < HIDDEN; h++) {
          v[(r * 4 + t) * HIDDEN + h] = 100 * r + 10 * t + h;
        }
      }
    }
    return FloatBuffer.wrap(v);
  }

  @Test
  void aStateReadsBackAsWrittenFromItsRowOfTheBatch() {
    try (HiddenStateStore store = HiddenStateStore.create(dir, 10)) {
      store.reset("model-a", HIDDEN);
      assertTrue(store.write("second row, 2 tokens", batch(), 4 * HIDDEN, 2));
      float[] out = new float[8];
      Arrays.fill(out, -1);
      assertEquals(2, store.read("second row, 2 tokens", out, 1));
      assertArrayEquals(new float[] {-1, 100, 101, 102, 110, 111, 112, -1}, out);
      assertEquals(2, store.tokens("second row, 2 tokens"));
      assertEquals(-1, store.tokens("never written"));
      assertEquals(-1, store.read("never written", out, 0));
      assertEquals(2L * HIDDEN * 4, store.bytes());
    }
  }

  @Test
  void anotherFingerprintEmptiesTheStoreAndTheSameKeepsIt() {
    try (HiddenStateStore store = HiddenStateStore.create(dir, 10)) {
      store.reset("model-a", HIDDEN);
      store.write("text", batch(), 0, 4);
      store.reset("model-a", HIDDEN);
      assertEquals(1, store.size());
      store.reset("model-b", HIDDEN);
      assertEquals(0, store.size());
      assertEquals(0, store.bytes());
      assertEquals(-1, store.tokens("text"));
      assertEquals("model-b", store.fingerprint());
    }
  }

  @Test
  void aFullStoreKeepsNothingMoreAndATextIsKeptOnce() {
    try (HiddenStateStore store = HiddenStateStore.create(dir, 1)) {
      store.reset("model-a", HIDDEN);
      assertTrue(store.write("first", batch(), 0, 4));
      assertFalse(store.write("first", batch(), 0, 4));
      assertFalse(store.write("second", batch(), 0, 4));
      assertEquals(1, store.size());
    }
  }

  @Test
  void closingDeletesTheFileAndANegativeCapacityIsRefused() {
    HiddenStateStore store = HiddenStateStore.create(dir, 1);
    assertTrue(Files.exists(store.file()));
    store.close();
    assertFalse(Files.exists(store.file()));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> HiddenStateStore.create(dir, -1));
    assertTrue(e.getMessage().contains("capacity must be >= 0"));
  }
}
