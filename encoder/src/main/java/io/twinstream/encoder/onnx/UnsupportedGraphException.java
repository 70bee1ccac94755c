package io.twinstream.encoder.onnx;

/**
 * The ONNX graph is not one a reader or rewrite here understands; the message says what was
 * missing.
 */
public class UnsupportedGraphException extends Exception {

  private static final long serialVersionUID = 1L;

  public UnsupportedGraphException(String message) {
    super(message);
  }
}
