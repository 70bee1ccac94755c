package io.twinstream.schemas;

/** A message could not be decoded into the expected record type; {@link #reason()} says why. */
public class RecordDecodeException extends Exception {

  private static final long serialVersionUID = 1L;

  private final String recordType;
  private final String reason;

  public RecordDecodeException(String recordType, String reason) {
    this(recordType, reason, null);
  }

  public RecordDecodeException(String recordType, String reason, Throwable cause) {
    super("Cannot decode " + recordType + ": " + reason, cause);
    this.recordType = recordType;
    this.reason = reason;
  }

  /** The simple name of the record type that was expected. */
  public String recordType() {
    return recordType;
  }

  /** Why decoding failed, in words. */
  public String reason() {
    return reason;
  }
}
