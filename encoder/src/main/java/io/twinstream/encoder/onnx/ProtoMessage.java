package io.twinstream.encoder.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A protocol-buffers message kept as its list of fields, in wire order, without a schema. Reading
 * and writing back an unchanged message reproduces the same bytes for the fields it holds, so tools
 * can edit a few fields of a large ONNX model and keep everything else exactly as it was.
 *
 * <p>Length-delimited fields keep their raw bytes; {@link #message(int)} parses them as nested
 * messages on demand. Mutable; not thread-safe.
 */
public final class ProtoMessage {

  /** Wire types of the protobuf encoding. */
  static final int VARINT = 0;

  static final int FIXED64 = 1;
  static final int LEN = 2;
  static final int FIXED32 = 5;

  /**
   * One field occurrence: its number, wire type and value (a {@code long} or, for LEN, bytes or a
   * message).
   */
  static final class Field {
    final int number;
    final int wireType;
    long scalar;
    byte[] bytes;
    ProtoMessage message;
    long cachedSize;

    Field(int number, int wireType) {
      this.number = number;
      this.wireType = wireType;
    }

    byte[] bytes() {
      return message != null ? message.toByteArray() : bytes;
    }

    ProtoMessage message() {
      if (message == null) {
        message = parse(bytes, 0, bytes.length);
        bytes = null;
      }
      return message;
    }
  }

  private final List<Field> fields = new ArrayList<>();

  /** Parses {@code data}. */
  public static ProtoMessage parse(byte[] data) {
    return parse(data, 0, data.length);
  }

  static ProtoMessage parse(byte[] data, int from, int to) {
    ProtoMessage msg = new ProtoMessage();
    int[] pos = {from};
    while (pos[0] < to) {
      long key = readVarint(data, pos, to);
      int number = (int) (key >>> 3);
      int wireType = (int) (key & 7);
      if (number <= 0) {
        throw new MalformedProtoException("invalid field number " + number + " at byte " + pos[0]);
      }
      Field f = new Field(number, wireType);
      switch (wireType) {
        case VARINT -> f.scalar = readVarint(data, pos, to);
        case FIXED64 -> {
          require(data, pos[0], 8, to);
          long v = 0;
          for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (data[pos[0] + i] & 0xFF);
          }
          f.scalar = v;
          pos[0] += 8;
        }
        case FIXED32 -> {
          require(data, pos[0], 4, to);
          long v = 0;
          for (int i = 3; i >= 0; i--) {
            v = (v << 8) | (data[pos[0] + i] & 0xFF);
          }
          f.scalar = v;
          pos[0] += 4;
        }
        case LEN -> {
          long len = readVarint(data, pos, to);
          if (len < 0 || len > to - pos[0]) {
            throw new MalformedProtoException(
                "field " + number + " claims " + len + " bytes, " + (to - pos[0]) + " left");
          }
          f.bytes = new byte[(int) len];
          System.arraycopy(data, pos[0], f.bytes, 0, (int) len);
          pos[0] += (int) len;
        }
        default ->
            throw new MalformedProtoException(
                "unsupported wire type " + wireType + " for field " + number);
      }
      msg.fields.add(f);
    }
    return msg;
  }

  private static void require(byte[] data, int pos, int n, int to) {
    if (pos + n > to) {
      throw new MalformedProtoException("truncated message at byte " + pos);
    }
  }

  private static long readVarint(byte[] data, int[] pos, int to) {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos[0] >= to) {
        throw new MalformedProtoException("truncated varint at byte " + pos[0]);
      }
      byte b = data[pos[0]++];
      result |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new MalformedProtoException("varint longer than 10 bytes at byte " + pos[0]);
  }

  // ---- reading ----

  /** Whether the field occurs at least once. */
  public boolean has(int number) {
    return fields.stream().anyMatch(f -> f.number == number);
  }

  /** The last varint value of the field (protobuf's rule for repeated scalars), or {@code dflt}. */
  public long varint(int number, long dflt) {
    long v = dflt;
    for (Field f : fields) {
      if (f.number == number && f.wireType == VARINT) {
        v = f.scalar;
      }
    }
    return v;
  }

  /** The last 32-bit float value of the field, or {@code dflt}. */
  public float float32(int number, float dflt) {
    float v = dflt;
    for (Field f : fields) {
      if (f.number == number && f.wireType == FIXED32) {
        v = Float.intBitsToFloat((int) f.scalar);
      }
    }
    return v;
  }

  /** The last string value of the field, or {@code ""}. */
  public String string(int number) {
    byte[] b = bytes(number);
    return b == null ? "" : new String(b, StandardCharsets.UTF_8);
  }

  /** The last bytes value of the field, or {@code null}. */
  public byte[] bytes(int number) {
    byte[] v = null;
    for (Field f : fields) {
      if (f.number == number && f.wireType == LEN) {
        v = f.bytes();
      }
    }
    return v;
  }

  /** All string values of a repeated string field. */
  public List<String> strings(int number) {
    List<String> out = new ArrayList<>();
    for (Field f : fields) {
      if (f.number == number && f.wireType == LEN) {
        out.add(new String(f.bytes(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  /** All values of a repeated int64 field, packed or not. */
  public List<Long> longs(int number) {
    List<Long> out = new ArrayList<>();
    for (Field f : fields) {
      if (f.number != number) {
        continue;
      }
      if (f.wireType == VARINT) {
        out.add(f.scalar);
      } else if (f.wireType == LEN) {
        byte[] b = f.bytes();
        int[] pos = {0};
        while (pos[0] < b.length) {
          out.add(readVarint(b, pos, b.length));
        }
      }
    }
    return out;
  }

  /** The last nested message in the field, or {@code null}. */
  public ProtoMessage message(int number) {
    ProtoMessage v = null;
    for (Field f : fields) {
      if (f.number == number && f.wireType == LEN) {
        v = f.message();
      }
    }
    return v;
  }

  /** All nested messages of a repeated field, live: changes to them are written back. */
  public List<ProtoMessage> messages(int number) {
    List<ProtoMessage> out = new ArrayList<>();
    for (Field f : fields) {
      if (f.number == number && f.wireType == LEN) {
        out.add(f.message());
      }
    }
    return out;
  }

  // ---- editing ----

  /** Removes every occurrence of the field. */
  public ProtoMessage clear(int number) {
    fields.removeIf(f -> f.number == number);
    return this;
  }

  /** Removes the nested messages of field {@code number} that match. */
  public ProtoMessage removeMessages(int number, Predicate<ProtoMessage> which) {
    fields.removeIf(f -> f.number == number && f.wireType == LEN && which.test(f.message()));
    return this;
  }

  /** Appends a varint field. */
  public ProtoMessage addVarint(int number, long value) {
    Field f = new Field(number, VARINT);
    f.scalar = value;
    fields.add(f);
    return this;
  }

  /** Appends a 32-bit float field. */
  public ProtoMessage addFloat32(int number, float value) {
    Field f = new Field(number, FIXED32);
    f.scalar = Float.floatToRawIntBits(value) & 0xFFFFFFFFL;
    fields.add(f);
    return this;
  }

  /** Appends a bytes field. */
  public ProtoMessage addBytes(int number, byte[] value) {
    Field f = new Field(number, LEN);
    f.bytes = Objects.requireNonNull(value, "value");
    fields.add(f);
    return this;
  }

  /** Appends a string field (UTF-8). */
  public ProtoMessage addString(int number, String value) {
    return addBytes(number, value.getBytes(StandardCharsets.UTF_8));
  }

  /** Appends a nested message field. */
  public ProtoMessage addMessage(int number, ProtoMessage value) {
    Field f = new Field(number, LEN);
    f.message = Objects.requireNonNull(value, "value");
    fields.add(f);
    return this;
  }

  /**
   * Inserts a nested message before the first occurrence of field {@code number} (or appends it).
   */
  public ProtoMessage insertMessageFirst(int number, ProtoMessage value) {
    Field f = new Field(number, LEN);
    f.message = Objects.requireNonNull(value, "value");
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).number == number) {
        fields.add(i, f);
        return this;
      }
    }
    fields.add(f);
    return this;
  }

  /**
   * Replaces every occurrence of a bytes field by one with {@code value}, at the first one's place.
   */
  public ProtoMessage setBytes(int number, byte[] value) {
    return replace(
        number,
        () -> {
          Field f = new Field(number, LEN);
          f.bytes = value;
          return f;
        });
  }

  /** Replaces every occurrence of a string field by one with {@code value}. */
  public ProtoMessage setString(int number, String value) {
    return setBytes(number, value.getBytes(StandardCharsets.UTF_8));
  }

  /** Replaces every occurrence of a varint field by one with {@code value}. */
  public ProtoMessage setVarint(int number, long value) {
    return replace(
        number,
        () -> {
          Field f = new Field(number, VARINT);
          f.scalar = value;
          return f;
        });
  }

  private ProtoMessage replace(int number, Supplier<Field> make) {
    int at = -1;
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).number == number) {
        at = i;
        break;
      }
    }
    fields.removeIf(f -> f.number == number);
    if (at < 0 || at > fields.size()) {
      fields.add(make.get());
    } else {
      fields.add(at, make.get());
    }
    return this;
  }

  // ---- writing ----

  /** The encoded message, written in one pass into an array of the exact size. */
  public byte[] toByteArray() {
    byte[] out = new byte[Math.toIntExact(size())];
    int end = writeTo(out, 0);
    if (end != out.length) {
      throw new IllegalStateException("wrote " + end + " bytes, computed " + out.length);
    }
    return out;
  }

  /**
   * Encoded size in bytes. Nested messages are sized once per call chain and cached until written.
   */
  long size() {
    long size = 0;
    for (Field f : fields) {
      size += varintSize(((long) f.number << 3) | f.wireType);
      switch (f.wireType) {
        case VARINT -> size += varintSize(f.scalar);
        case FIXED64 -> size += 8;
        case FIXED32 -> size += 4;
        case LEN -> {
          long len = f.message != null ? f.message.size() : f.bytes.length;
          f.cachedSize = len;
          size += varintSize(len) + len;
        }
        default -> throw new IllegalStateException("wire type " + f.wireType);
      }
    }
    return size;
  }

  private int writeTo(byte[] out, int pos) {
    for (Field f : fields) {
      pos = writeVarint(out, pos, ((long) f.number << 3) | f.wireType);
      switch (f.wireType) {
        case VARINT -> pos = writeVarint(out, pos, f.scalar);
        case FIXED64 -> {
          for (int i = 0; i < 8; i++) {
            out[pos++] = (byte) (f.scalar >>> (8 * i));
          }
        }
        case FIXED32 -> {
          for (int i = 0; i < 4; i++) {
            out[pos++] = (byte) (f.scalar >>> (8 * i));
          }
        }
        case LEN -> {
          pos = writeVarint(out, pos, f.cachedSize);
          if (f.message != null) {
            pos = f.message.writeTo(out, pos);
          } else {
            System.arraycopy(f.bytes, 0, out, pos, f.bytes.length);
            pos += f.bytes.length;
          }
        }
        default -> throw new IllegalStateException("wire type " + f.wireType);
      }
    }
    return pos;
  }

  private static int varintSize(long value) {
    int n = 1;
    while ((value & ~0x7FL) != 0) {
      value >>>= 7;
      n++;
    }
    return n;
  }

  private static int writeVarint(byte[] out, int pos, long value) {
    while ((value & ~0x7FL) != 0) {
      out[pos++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out[pos++] = (byte) value;
    return pos;
  }

  static void writeVarint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  /** Encodes a list of int64 values as a packed repeated field's payload. */
  static byte[] packVarints(List<Long> values) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (long v : values) {
      writeVarint(out, v);
    }
    return out.toByteArray();
  }
}
