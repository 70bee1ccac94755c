package io.twinstream.encoder;

/**
 * How a {@link SentenceEncoder} runs. Immutable; start from {@link #defaults()}.
 *
 * @param batchSize texts per ONNX Runtime call (default {@value #DEFAULT_BATCH_SIZE}). Texts are
 *     sorted by length before batching, so larger batches cost little padding.
 * @param threads compute threads in all (default: the number of available processors)
 * @param concurrentBatches how many batches run at the same time, sharing {@code threads} between
 *     them (default: {@code threads}, i.e. one thread per batch, which measured fastest on small
 *     CPUs; see docs/benchmarks.md)
 * @param maxSequenceLength tokens per text given to the model, or 0 for the bundle's own (default
 *     0)
 * @param fuseGraph serve float BERT-family models through a graph of ONNX Runtime's fused operators
 *     (attention, skip layer norm, bias GELU) built from the bundle's weights; same function, fewer
 *     passes over memory (default true; models it does not recognise are served as they are)
 */
public record EncoderOptions(
    int batchSize, int threads, int concurrentBatches, int maxSequenceLength, boolean fuseGraph) {

  /** Default texts per batch. */
  public static final int DEFAULT_BATCH_SIZE = 32;

  public EncoderOptions {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    if (concurrentBatches < 1 || concurrentBatches > threads) {
      throw new IllegalArgumentException(
          "concurrentBatches must be between 1 and threads ("
              + threads
              + "), got "
              + concurrentBatches);
    }
    if (maxSequenceLength != 0 && maxSequenceLength < 3) {
      throw new IllegalArgumentException(
          "maxSequenceLength must be 0 (bundle's own) or at least 3, got " + maxSequenceLength);
    }
  }

  /**
   * Batch size 32, all available processors, one thread per batch, the bundle's sequence length,
   * fused graph.
   */
  public static EncoderOptions defaults() {
    int cpus = Runtime.getRuntime().availableProcessors();
    return new EncoderOptions(DEFAULT_BATCH_SIZE, cpus, cpus, 0, true);
  }

  /** These options with another batch size. */
  public EncoderOptions withBatchSize(int batchSize) {
    return new EncoderOptions(batchSize, threads, concurrentBatches, maxSequenceLength, fuseGraph);
  }

  /** These options with {@code threads} threads, one per concurrent batch. */
  public EncoderOptions withThreads(int threads) {
    return new EncoderOptions(batchSize, threads, threads, maxSequenceLength, fuseGraph);
  }

  /** These options with {@code concurrentBatches} batches sharing the threads. */
  public EncoderOptions withConcurrentBatches(int concurrentBatches) {
    return new EncoderOptions(batchSize, threads, concurrentBatches, maxSequenceLength, fuseGraph);
  }

  /** These options with graph fusion on or off. */
  public EncoderOptions withFuseGraph(boolean fuseGraph) {
    return new EncoderOptions(batchSize, threads, concurrentBatches, maxSequenceLength, fuseGraph);
  }

  /** These options with another maximum sequence length (0 = the bundle's). */
  public EncoderOptions withMaxSequenceLength(int maxSequenceLength) {
    return new EncoderOptions(batchSize, threads, concurrentBatches, maxSequenceLength, fuseGraph);
  }
}
