package io.twinstream.encoder.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A tensor ({@code TensorProto}) of an ONNX graph: an initializer or a constant. Reads data stored
 * either as {@code raw_data} (little-endian) or in the typed repeated fields.
 */
public final class GraphTensor {

  static final int DIMS = 1;
  static final int DATA_TYPE = 2;
  static final int FLOAT_DATA = 4;
  static final int INT32_DATA = 5;
  static final int INT64_DATA = 7;
  static final int NAME = 8;
  static final int RAW_DATA = 9;
  static final int DATA_LOCATION = 14;

  /** ONNX element types ({@code TensorProto.DataType}). */
  public static final int FLOAT = 1;

  public static final int UINT8 = 2;
  public static final int INT8 = 3;
  public static final int INT32 = 6;
  public static final int INT64 = 7;

  private final ProtoMessage proto;

  GraphTensor(ProtoMessage proto) {
    this.proto = Objects.requireNonNull(proto);
  }

  /** A new tensor holding {@code raw} (little-endian element bytes). */
  public static GraphTensor of(String name, int dataType, long[] dims, byte[] raw) {
    ProtoMessage m = new ProtoMessage();
    for (long d : dims) {
      m.addVarint(DIMS, d);
    }
    m.addVarint(DATA_TYPE, dataType);
    m.addString(NAME, name);
    m.addBytes(RAW_DATA, raw);
    return new GraphTensor(m);
  }

  /** A new float tensor. */
  public static GraphTensor ofFloats(String name, long[] dims, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return of(name, FLOAT, dims, b.array());
  }

  /** A new int64 tensor. */
  public static GraphTensor ofLongs(String name, long[] dims, long[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return of(name, INT64, dims, b.array());
  }

  /** A new int32 tensor. */
  public static GraphTensor ofInts(String name, long[] dims, int[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(values);
    return of(name, INT32, dims, b.array());
  }

  ProtoMessage proto() {
    return proto;
  }

  public String name() {
    return proto.string(NAME);
  }

  public int dataType() {
    return (int) proto.varint(DATA_TYPE, 0);
  }

  public long[] dims() {
    return proto.longs(DIMS).stream().mapToLong(Long::longValue).toArray();
  }

  /** Number of elements. */
  public long size() {
    long n = 1;
    for (long d : dims()) {
      n *= d;
    }
    return n;
  }

  /** Whether the data lives in an external file (not supported by the readers here). */
  public boolean isExternal() {
    return proto.varint(DATA_LOCATION, 0) == 1;
  }

  /** The element bytes, little-endian, whichever field stores them. */
  public byte[] rawData() {
    if (isExternal()) {
      throw new UnsupportedOperationException(
          "tensor '" + name() + "' keeps its data in an external file");
    }
    byte[] raw = proto.bytes(RAW_DATA);
    if (raw != null) {
      return raw;
    }
    int type = dataType();
    int n = (int) size();
    ByteBuffer b;
    switch (type) {
      case FLOAT -> {
        // float_data is packed fixed32
        byte[] packed = proto.bytes(FLOAT_DATA);
        return packed == null ? new byte[0] : packed;
      }
      case INT64 -> {
        List<Long> v = proto.longs(INT64_DATA);
        b = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
        v.forEach(b::putLong);
        return b.array();
      }
      case INT32, UINT8, INT8 -> {
        List<Long> v = proto.longs(INT32_DATA);
        int width = type == INT32 ? 4 : 1;
        b = ByteBuffer.allocate(n * width).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
          if (width == 4) {
            b.putInt((int) x);
          } else {
            b.put((byte) x);
          }
        }
        return b.array();
      }
      default ->
          throw new UnsupportedOperationException(
              "tensor '" + name() + "' has data type " + type + " stored in typed fields");
    }
  }

  /** The values of a float tensor. */
  public float[] floats() {
    requireType(FLOAT);
    float[] out = new float[(int) size()];
    ByteBuffer.wrap(rawData()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  /** The values of an int64 tensor. */
  public long[] longs() {
    requireType(INT64);
    long[] out = new long[(int) size()];
    ByteBuffer.wrap(rawData()).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
    return out;
  }

  /** Replaces the data by {@code raw} (same type and shape), dropping typed-field copies. */
  public void setRawData(byte[] raw) {
    proto.clear(FLOAT_DATA).clear(INT32_DATA).clear(INT64_DATA);
    proto.setBytes(RAW_DATA, raw);
  }

  private void requireType(int type) {
    if (dataType() != type) {
      throw new IllegalStateException(
          "tensor '" + name() + "' has data type " + dataType() + ", not " + type);
    }
  }

  @Override
  public String toString() {
    return "GraphTensor["
        + name()
        + ", type "
        + dataType()
        + ", dims "
        + Arrays.toString(dims())
        + "]";
  }
}
