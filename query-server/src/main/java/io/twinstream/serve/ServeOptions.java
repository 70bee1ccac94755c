package io.twinstream.serve;

import java.time.Duration;

/**
 * Settings of {@code twinstream serve}, each with its default (documented in docs/serve.md, checked
 * by {@code ServeOptionsDocTest}).
 *
 * @param port HTTP port (default 8080; 0 = any free port)
 * @param maxBodyBytes largest request body; a bigger one is answered 413 (default 4 MiB)
 * @param maxInputs most inputs in one embeddings request; more are answered 413 (default 2048,
 *     OpenAI's limit)
 * @param batchTokens token budget of one encoder call: requests waiting together are embedded in
 *     one call until their estimated tokens reach it (default 16384, text-embeddings-inference's
 *     max-batch-tokens)
 * @param maxWait how long the first request of a batch waits for more to join it (default 0: none;
 *     requests that arrive while an encoder call runs form the next batch)
 * @param queueLimit most requests waiting for the encoder; one more is answered 429 (default 1024)
 * @param httpThreads threads handling requests, each blocked while its request is embedded: the
 *     most requests in flight (default 128)
 * @param encoderThreads compute threads of the encoder; 0 = every core (default 0)
 * @param maxK most results one search may ask for (default 1000)
 * @param bridge whether searches use the newest promoted version's query bridge while the store
 *     still searches the version it was trained from (default true; {@link QueryBridges})
 */
public record ServeOptions(
    int port,
    int maxBodyBytes,
    int maxInputs,
    int batchTokens,
    Duration maxWait,
    int queueLimit,
    int httpThreads,
    int encoderThreads,
    int maxK,
    boolean bridge) {

  public ServeOptions {
    positive("port", port + 1);
    positive("max-body-bytes", maxBodyBytes);
    positive("max-inputs", maxInputs);
    positive("batch-tokens", batchTokens);
    positive("queue-limit", queueLimit);
    positive("http-threads", httpThreads);
    positive("encoder-threads", encoderThreads + 1);
    positive("max-k", maxK);
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException("--max-wait must not be negative, got " + maxWait);
    }
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException("--" + name + " is too small");
    }
  }

  /** The defaults. */
  public static ServeOptions defaults() {
    return new ServeOptions(8080, 4 << 20, 2048, 16_384, Duration.ZERO, 1024, 128, 0, 1000, true);
  }

  public ServeOptions withPort(int p) {
    return new ServeOptions(
        p,
        maxBodyBytes,
        maxInputs,
        batchTokens,
        maxWait,
        queueLimit,
        httpThreads,
        encoderThreads,
        maxK,
        bridge);
  }

  public ServeOptions withBridge(boolean b) {
    return new ServeOptions(
        port,
        maxBodyBytes,
        maxInputs,
        batchTokens,
        maxWait,
        queueLimit,
        httpThreads,
        encoderThreads,
        maxK,
        b);
  }
}
