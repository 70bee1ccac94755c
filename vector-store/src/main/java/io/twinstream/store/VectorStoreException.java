package io.twinstream.store;

/**
 * A store could not do what was asked (unreachable, refused, corrupt); the message names the store
 * and the operation. Callers that write from a stream retry it with back-off: upserts are
 * idempotent.
 */
public class VectorStoreException extends RuntimeException {

  public VectorStoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public VectorStoreException(String message) {
    super(message);
  }
}
