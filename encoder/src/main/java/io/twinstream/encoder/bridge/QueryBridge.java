package io.twinstream.encoder.bridge;

import io.twinstream.encoder.BundleManifest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Objects;

/**
 * A map from version {@code from}'s vector space into version {@code to}'s, fitted on texts both
 * embedded: a query embedded by {@code from} and mapped can be searched among {@code to}'s vectors
 * (a promoted version serves queries before its backfill completes). Kept in {@code from}'s bundle
 * as {@value #FILE_NAME}.
 */
public record QueryBridge(
    String from, String to, BridgeMethod method, VectorMap map, BridgeFit fit) {

  /** Its file in a bundle. */
  public static final String FILE_NAME = "bridge.bin";

  private static final int MAGIC = 0x54534252; // "TSBR"
  private static final int FORMAT = 1;

  public QueryBridge {
    Objects.requireNonNull(map, "map");
    Objects.requireNonNull(fit, "fit");
    if (!BundleManifest.isValidVersion(from) || !BundleManifest.isValidVersion(to)) {
      throw new IllegalArgumentException("invalid versions '" + from + "' → '" + to + "'");
    }
    boolean linear = map instanceof LinearMap;
    if (linear == (method == BridgeMethod.RESIDUAL || method == BridgeMethod.ADAPTER)) {
      throw new IllegalArgumentException(method.optionName() + " does not fit a " + map);
    }
  }

  /** {@code v}, embedded by {@link #from}, in {@link #to}'s space (unit length). */
  public float[] apply(float[] v) {
    return map.apply(v);
  }

  /** Its file: a header (versions, method, fit) and the weights, little-endian floats. */
  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(FORMAT);
      out.writeUTF(from);
      out.writeUTF(to);
      out.writeUTF(method.optionName());
      out.writeInt(fit.texts());
      out.writeInt(fit.heldOut());
      out.writeDouble(fit.cosine());
      out.writeDouble(fit.identityCosine());
      out.writeDouble(fit.seconds());
      out.writeInt(map.dimension());
      if (map instanceof LinearMap l) {
        out.writeInt(0);
        floats(out, l.columns());
        floats(out, l.bias());
      } else if (map instanceof ResidualMap r) {
        out.writeInt(r.rank());
        floats(out, r.down());
        floats(out, r.downBias());
        floats(out, r.up());
        floats(out, r.upBias());
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Reads a bridge written by {@link #toBytes()}.
   *
   * @param location where the bytes came from, for the message
   * @throws IllegalArgumentException naming {@code location} and what is wrong
   */
  public static QueryBridge parse(byte[] bytes, String location) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      if (in.readInt() != MAGIC) {
        throw new IllegalArgumentException(location + ": not a query bridge (bad magic number)");
      }
      int format = in.readInt();
      if (format != FORMAT) {
        throw new IllegalArgumentException(
            location + ": bridge format " + format + ", this build reads " + FORMAT);
      }
      String from = in.readUTF();
      String to = in.readUTF();
      BridgeMethod method = BridgeMethod.parse(in.readUTF());
      BridgeFit fit =
          new BridgeFit(
              in.readInt(), in.readInt(), in.readDouble(), in.readDouble(), in.readDouble());
      int d = in.readInt();
      int rank = in.readInt();
      if (d < 1 || d > 65536 || rank < 0 || rank > 65536) {
        throw new IllegalArgumentException(
            location + ": implausible dimension " + d + " or rank " + rank);
      }
      VectorMap map =
          rank == 0
              ? new LinearMap(d, floats(in, d * d), floats(in, d))
              : new ResidualMap(
                  d,
                  rank,
                  floats(in, d * rank),
                  floats(in, rank),
                  floats(in, d * rank),
                  floats(in, d));
      if (in.read() != -1) {
        throw new IllegalArgumentException(location + ": bytes after the bridge's weights");
      }
      return new QueryBridge(from, to, method, map, fit);
    } catch (IOException e) {
      throw new IllegalArgumentException(location + ": truncated query bridge (" + e + ")", e);
    }
  }

  private static void floats(DataOutputStream out, float[] v) throws IOException {
    for (float x : v) {
      out.writeInt(Integer.reverseBytes(Float.floatToRawIntBits(x)));
    }
  }

  private static float[] floats(DataInputStream in, int n) throws IOException {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = Float.intBitsToFloat(Integer.reverseBytes(in.readInt()));
    }
    return v;
  }
}
