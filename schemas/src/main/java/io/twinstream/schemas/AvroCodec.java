package io.twinstream.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SystemLimitException;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Encodes and decodes one record type with Avro's <em>single-object encoding</em>: a two-byte
 * marker, the 64-bit fingerprint of the writer schema, then the binary record. The fingerprint lets
 * a reader resolve records written with an older (registered) schema without a schema registry.
 *
 * <p>Instances are immutable and thread-safe; {@link #withWriterSchema(Schema)} returns a new codec
 * that also accepts records written with the given schema.
 *
 * @param <T> the generated record class
 */
public final class AvroCodec<T extends SpecificRecord> {

  /**
   * The longest string or byte array Avro reads from a record (unless the process sets Avro's
   * {@code org.apache.avro.limits.*.maxLength} itself): records come from Kafka, whose records are
   * a few MB at most, and a garbage length in a damaged record would otherwise make Avro allocate
   * up to 2 GB before it finds the record too short.
   */
  public static final int MAX_FIELD_BYTES = 64 * 1024 * 1024;

  static {
    TrustedRecords.install();
    limit(SystemLimitException.MAX_STRING_LENGTH_PROPERTY);
    limit(SystemLimitException.MAX_BYTES_LENGTH_PROPERTY);
  }

  /** Sets an Avro limit before Avro reads it (it does once, when its limits are first used). */
  private static void limit(String property) {
    if (System.getProperty(property) == null) {
      System.setProperty(property, Integer.toString(MAX_FIELD_BYTES));
    }
  }

  private final Class<T> type;
  private final Schema schema;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;
  private final List<Schema> writerSchemas;

  private AvroCodec(Class<T> type, List<Schema> writerSchemas) {
    this.type = type;
    this.schema = SpecificData.get().getSchema(type);
    this.encoder = new BinaryMessageEncoder<>(SpecificData.get(), schema);
    this.decoder = new BinaryMessageDecoder<>(SpecificData.get(), schema);
    this.writerSchemas = List.copyOf(writerSchemas);
    for (Schema writer : this.writerSchemas) {
      decoder.addSchema(writer);
    }
  }

  /** A codec for the given generated record class, reading and writing its current schema. */
  public static <T extends SpecificRecord> AvroCodec<T> of(Class<T> type) {
    Objects.requireNonNull(type, "type");
    return new AvroCodec<>(type, List.of());
  }

  /**
   * A codec that can also decode records written with {@code writer} (an earlier released schema).
   */
  public AvroCodec<T> withWriterSchema(Schema writer) {
    Objects.requireNonNull(writer, "writer schema");
    List<Schema> all = new ArrayList<>(writerSchemas);
    all.add(writer);
    return new AvroCodec<>(type, all);
  }

  /** The schema this codec writes, and into which it resolves what it reads. */
  public Schema schema() {
    return schema;
  }

  /** The record class. */
  public Class<T> type() {
    return type;
  }

  /** Encodes {@code record} as a single-object-encoded message. */
  public byte[] encode(T record) {
    Objects.requireNonNull(record, "record");
    try {
      return encoder.encode(record).array();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot encode " + schema.getName() + " record", e);
    } catch (AvroRuntimeException | NullPointerException | ClassCastException e) {
      throw new IllegalArgumentException(
          "Cannot encode " + schema.getName() + " record: " + e.getMessage(), e);
    }
  }

  /**
   * Decodes one message.
   *
   * @throws RecordDecodeException when the bytes are not a single-object-encoded record of a known
   *     schema, with the reason in words
   */
  public T decode(byte[] bytes) throws RecordDecodeException {
    if (bytes == null) {
      throw new RecordDecodeException(
          schema.getName(), "the value is null (tombstone or missing value)");
    }
    if (bytes.length == 0) {
      throw new RecordDecodeException(schema.getName(), "the value is empty (0 bytes)");
    }
    try {
      return decoder.decode(bytes);
    } catch (BadHeaderException e) {
      throw new RecordDecodeException(
          schema.getName(),
          "not an Avro single-object encoded message (" + e.getMessage() + ")",
          e);
    } catch (MissingSchemaException e) {
      throw new RecordDecodeException(
          schema.getName(), "written with an unknown schema (" + e.getMessage() + ")", e);
    } catch (IOException | RuntimeException e) {
      // Any failure to read bytes that came from outside is a malformed record: Avro throws
      // AvroRuntimeException, IndexOutOfBounds, NegativeArraySize, UnsupportedOperation...
      throw new RecordDecodeException(
          schema.getName(),
          "malformed record body (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")",
          e);
    } catch (OutOfMemoryError e) {
      // one array of a garbage length that could not be allocated; nothing was kept
      throw new RecordDecodeException(
          schema.getName(), "malformed record body (a field length too large to read)", e);
    }
  }

  @Override
  public String toString() {
    return "AvroCodec[" + schema.getFullName() + "]";
  }
}
