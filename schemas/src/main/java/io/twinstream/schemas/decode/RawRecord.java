package io.twinstream.schemas.decode;

import java.util.Arrays;
import java.util.Objects;

/**
 * A Kafka record as read, before decoding: where it came from and its raw bytes, so that a record
 * that cannot be decoded can be dead-lettered unchanged. Plain Java, and a Flink POJO (public
 * fields, no-argument constructor), so that it crosses a Flink network edge without Kryo.
 */
public final class RawRecord {

  public String topic;
  public int partition;
  public long offset;
  public long timestamp;
  public byte[] key;
  public byte[] value;

  public RawRecord() {}

  public RawRecord(
      String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.key = key;
    this.value = value;
  }

  /** {@code topic-partition@offset}, for messages. */
  public String position() {
    return topic + "-" + partition + "@" + offset;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RawRecord r
        && partition == r.partition
        && offset == r.offset
        && timestamp == r.timestamp
        && Objects.equals(topic, r.topic)
        && Arrays.equals(key, r.key)
        && Arrays.equals(value, r.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, partition, offset);
  }

  @Override
  public String toString() {
    return "RawRecord["
        + position()
        + ", "
        + (value == null ? "null" : value.length + " bytes")
        + "]";
  }
}
