package io.twinstream.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class PoolingModeTest {

  // batch of 2 sequences, padded length 3, dimension 2; the second row has 2 real tokens.
  private static final FloatBuffer HIDDEN =
      FloatBuffer.wrap(
          new float[] {
            1, 2, 3, 4, 5, 6,
            -1, 10, 3, -4, 99, 99
          });

  @Test
  void meanAveragesOnlyRealTokens() {
    float[] out = new float[2];
    PoolingMode.MEAN.pool(HIDDEN, 1, 3, 2, out);
    assertArrayEquals(new float[] {1f, 3f}, out);
    PoolingMode.MEAN.pool(HIDDEN, 0, 3, 3, out);
    assertArrayEquals(new float[] {3f, 4f}, out);
  }

  @Test
  void clsTakesTheFirstToken() {
    float[] out = new float[2];
    PoolingMode.CLS.pool(HIDDEN, 1, 3, 2, out);
    assertArrayEquals(new float[] {-1f, 10f}, out);
  }

  @Test
  void maxIgnoresPadding() {
    float[] out = new float[2];
    PoolingMode.MAX.pool(HIDDEN, 1, 3, 2, out);
    assertArrayEquals(new float[] {3f, 10f}, out);
  }

  @Test
  void normalizeScalesToUnitLengthAndLeavesZeroAlone() {
    float[] v = {3, 4};
    PoolingMode.normalize(v);
    assertArrayEquals(new float[] {0.6f, 0.8f}, v, 1e-7f);
    float[] zero = {0, 0};
    PoolingMode.normalize(zero);
    assertArrayEquals(new float[] {0, 0}, zero);
  }

  @Test
  void configNamesParseCaseInsensitivelyAndUnknownOnesAreNamed() {
    assertEquals(PoolingMode.CLS, PoolingMode.fromConfigName(" CLS "));
    var e =
        assertThrows(IllegalArgumentException.class, () -> PoolingMode.fromConfigName("weighted"));
    assertEquals(
        "Unknown pooling mode 'weighted': expected one of [mean, cls, max]", e.getMessage());
  }
}
