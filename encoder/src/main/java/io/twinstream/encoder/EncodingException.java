package io.twinstream.encoder;

/**
 * ONNX Runtime failed while running a batch that had passed validation; the message says which
 * batch.
 */
public class EncodingException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public EncodingException(String message, Throwable cause) {
    super(message, cause);
  }
}
