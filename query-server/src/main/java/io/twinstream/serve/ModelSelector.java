package io.twinstream.serve;

/**
 * Which model version a request asks for, as the API's {@code model} field names it: {@code
 * fully-served} (the version the vector store searches: the default), {@code serving} (the newest
 * promotion), or a version by name.
 */
public sealed interface ModelSelector {

  /** The version the vector store searches: the last FULLY_SERVED announcement. */
  ModelSelector FULLY_SERVED = new FullyServed();

  /** The newest promoted version. */
  ModelSelector SERVING = new Serving();

  /** {@code fully-served}. */
  record FullyServed() implements ModelSelector {
    @Override
    public String toString() {
      return "fully-served";
    }
  }

  /** {@code serving}. */
  record Serving() implements ModelSelector {
    @Override
    public String toString() {
      return "serving";
    }
  }

  /** A version by name (whether the registry has it is the service's to say). */
  record Version(String name) implements ModelSelector {
    @Override
    public String toString() {
      return name;
    }
  }

  /** The selector {@code text} names: {@code fully-served}, {@code serving}, else a version. */
  static ModelSelector parse(String text) {
    return switch (text) {
      case "fully-served" -> FULLY_SERVED;
      case "serving" -> SERVING;
      default -> new Version(text);
    };
  }
}
