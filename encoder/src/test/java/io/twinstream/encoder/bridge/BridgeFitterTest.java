package io.twinstream.encoder.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class BridgeFitterTest {

  private static final int D = 32;

  /** {@code n} random unit vectors. */
  private static float[][] vectors(int n, long seed) {
    Random r = new Random(seed);
    float[][] out = new float[n][D];
    for (float[] v : out) {
      for (int i = 0; i < D; i++) {
        v[i] = (float) r.nextGaussian();
      }
      VectorMap.normalise(v);
    }
    return out;
  }

  private static float[][] mapped(float[][] x, UnaryOperator<float[]> f) {
    return Arrays.stream(x).map(v -> VectorMap.normalise(f.apply(v))).toArray(float[][]::new);
  }

  /** A rotation: a permutation of the coordinates with some signs flipped. */
  private static float[] rotate(float[] v) {
    float[] out = new float[D];
    for (int i = 0; i < D; i++) {
      out[i] = (i % 3 == 0 ? -1 : 1) * v[(i * 7 + 3) % D];
    }
    return out;
  }

  @Test
  void procrustesRecoversARotationBetweenTwoSpaces() {
    float[][] x = vectors(400, 1);
    float[][] y = mapped(x, BridgeFitterTest::rotate);
    QueryBridge b = BridgeFitter.of(BridgeMethod.PROCRUSTES).fit("v2", "v1", x, y);
    assertTrue(b.fit().cosine() > 0.9999, "held-out cosine " + b.fit().cosine());
    assertTrue(b.fit().identityCosine() < 0.3, "identity " + b.fit().identityCosine());
    float[] probe = vectors(1, 99)[0];
    assertArrayEquals(VectorMap.normalise(rotate(probe)), b.apply(probe), 1e-4f);
    assertEquals(360, b.fit().texts());
    assertEquals(40, b.fit().heldOut());
  }

  @Test
  void leastSquaresRecoversAnAffineMapThroughNoise() {
    Random noise = new Random(7);
    float[][] x = vectors(800, 2);
    float[][] y =
        mapped(
            x,
            v -> {
              float[] out = rotate(v);
              for (int i = 0; i < D; i++) {
                out[i] =
                    out[i] * (1 + i / (float) D) + 0.05f + 0.01f * (float) noise.nextGaussian();
              }
              return out;
            });
    QueryBridge ls = BridgeFitter.of(BridgeMethod.LEAST_SQUARES).fit("v2", "v1", x, y);
    QueryBridge rot = BridgeFitter.of(BridgeMethod.PROCRUSTES).fit("v2", "v1", x, y);
    assertTrue(ls.fit().cosine() > 0.995, "least squares " + ls.fit().cosine());
    assertTrue(
        ls.fit().cosine() > rot.fit().cosine(),
        "a stretched, shifted space is closer fitted by the affine map: "
            + ls.fit().cosine()
            + " vs "
            + rot.fit().cosine());
  }

  @Test
  void theResidualNetworkLearnsANonLinearShiftFromTheIdentity() {
    float[][] x = vectors(1000, 3);
    float[][] y =
        mapped(
            x,
            v -> {
              float[] out = v.clone();
              for (int i = 0; i < D; i++) {
                out[i] += 0.6f * Math.max(0, v[(i + 1) % D]);
              }
              return out;
            });
    BridgeFitter fitter = new BridgeFitter(BridgeMethod.RESIDUAL, 0.01, 32, 60, 3e-3, 42);
    QueryBridge b = fitter.fit("v2", "v1", x, y);
    assertTrue(
        b.fit().cosine() > b.fit().identityCosine() + 0.02,
        "residual " + b.fit().cosine() + " vs identity " + b.fit().identityCosine());
  }

  @Test
  void aBridgeReadFromItsFileMapsAsTheFittedOne() {
    float[][] x = vectors(200, 4);
    float[][] y = mapped(x, BridgeFitterTest::rotate);
    for (BridgeMethod m :
        List.of(BridgeMethod.LEAST_SQUARES, BridgeMethod.PROCRUSTES, BridgeMethod.RESIDUAL)) {
      QueryBridge fitted = BridgeFitter.of(m).fit("ft-0002", "ft-0001", x, y);
      QueryBridge read = QueryBridge.parse(fitted.toBytes(), "bridge.bin");
      assertEquals(fitted.from(), read.from());
      assertEquals(fitted.to(), read.to());
      assertEquals(m, read.method());
      assertEquals(fitted.fit(), read.fit());
      assertArrayEquals(fitted.apply(x[0]), read.apply(x[0]), 0f);
    }
  }

  @Test
  void aDamagedBridgeFileIsRefusedNamingTheFile() {
    float[][] x = vectors(100, 5);
    byte[] bytes = BridgeFitter.of(BridgeMethod.PROCRUSTES).fit("b", "a", x, x).toBytes();
    var truncated =
        assertThrows(
            IllegalArgumentException.class,
            () -> QueryBridge.parse(Arrays.copyOf(bytes, bytes.length - 5), "reg/b/bridge.bin"));
    assertTrue(truncated.getMessage().startsWith("reg/b/bridge.bin: truncated"));
    bytes[0] = 'X';
    var magic =
        assertThrows(
            IllegalArgumentException.class, () -> QueryBridge.parse(bytes, "reg/b/bridge.bin"));
    assertTrue(magic.getMessage().contains("not a query bridge"), magic.getMessage());
  }

  @Test
  void tooFewSharedTextsAreRefused() {
    float[][] x = vectors(BridgeFitter.MIN_TEXTS - 1, 6);
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> BridgeFitter.of(BridgeMethod.LEAST_SQUARES).fit("b", "a", x, x));
    assertTrue(e.getMessage().contains("at least " + BridgeFitter.MIN_TEXTS), e.getMessage());
  }
}
