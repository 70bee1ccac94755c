package io.twinstream.encoder.onnx;

/** Bytes that are not a valid protocol-buffers message. */
public class MalformedProtoException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public MalformedProtoException(String message) {
    super(message);
  }
}
