package io.twinstream.joiner;

import io.twinstream.joiner.SearchLog.Origin;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The values between the joiner's stages: a tag byte, then either an event with where it was read
 * (its original topic, partition and offset survive the repartitioning, for dead letters), or an
 * encoded output record (a pair or a dead letter).
 */
final class Envelope {

  static final byte EVENT = 1;
  static final byte PAIR = 2;
  static final byte DEAD = 3;

  private Envelope() {}

  /** An event read at {@code origin} with its single-object-encoded bytes. */
  static byte[] event(Origin origin, byte[] value) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(value.length + 64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(EVENT);
      out.writeUTF(origin.topic());
      out.writeInt(origin.partition());
      out.writeLong(origin.offset());
      out.write(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** An encoded output record with its tag. */
  static byte[] output(byte tag, byte[] encoded) {
    byte[] out = new byte[encoded.length + 1];
    out[0] = tag;
    System.arraycopy(encoded, 0, out, 1, encoded.length);
    return out;
  }

  static byte tag(byte[] envelope) {
    return envelope[0];
  }

  /** The encoded record of an output envelope. */
  static byte[] payload(byte[] envelope) {
    byte[] out = new byte[envelope.length - 1];
    System.arraycopy(envelope, 1, out, 0, out.length);
    return out;
  }

  /** An event envelope's origin and bytes. */
  record Event(Origin origin, byte[] value) {}

  static Event readEvent(byte[] envelope) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(envelope))) {
      if (in.readByte() != EVENT) {
        throw new IllegalArgumentException("not an event envelope");
      }
      Origin origin = new Origin(in.readUTF(), in.readInt(), in.readLong());
      return new Event(origin, in.readAllBytes());
    } catch (IOException e) {
      throw new IllegalArgumentException("damaged event envelope: " + e.getMessage(), e);
    }
  }
}
