package io.twinstream.store;

/**
 * A store could not do what was asked; the message names the store and the operation. {@link
 * #retriable()} says whether trying the same call again may succeed (the store was unreachable or
 * restarting) or not (refused credentials, a schema that does not fit): a writer from a stream
 * retries the first kind with back-off — upserts are idempotent — and fails on the second.
 */
public class VectorStoreException extends RuntimeException {

  private final boolean retriable;

  public VectorStoreException(String message, Throwable cause, boolean retriable) {
    super(message, cause);
    this.retriable = retriable;
  }

  /** A retriable failure. */
  public VectorStoreException(String message, Throwable cause) {
    this(message, cause, true);
  }

  /** A retriable failure. */
  public VectorStoreException(String message) {
    this(message, null, true);
  }

  /** Whether the same call may succeed later. */
  public boolean retriable() {
    return retriable;
  }
}
