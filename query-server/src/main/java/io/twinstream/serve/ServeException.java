package io.twinstream.serve;

/**
 * A request that cannot be answered, with the HTTP status and OpenAI's error type to answer it
 * with.
 */
public final class ServeException extends RuntimeException {

  private final int status;
  private final String type;
  private final String param;

  public ServeException(int status, String type, String param, String message) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
  }

  /** 400 invalid_request_error. */
  public static ServeException badRequest(String param, String message) {
    return new ServeException(400, "invalid_request_error", param, message);
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  /** The request field at fault, or null. */
  public String param() {
    return param;
  }
}
