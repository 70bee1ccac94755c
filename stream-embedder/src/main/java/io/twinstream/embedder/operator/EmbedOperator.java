package io.twinstream.embedder.operator;

import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.records.Embedding;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.TrustedRecords;
import java.util.List;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers sentences into micro-batches ({@link MicroBatcher}), embeds each batch with one encoder call
 * ({@link BatchEmbedder}) and emits one {@link Embedding} per sentence.
 *
 * <p>A batch is flushed when it is full, when its first sentence has waited the maximum time (a processing
 * time timer), before every checkpoint barrier ({@link #prepareSnapshotPreBarrier}) and at the end of input.
 * Flushing before the barrier means no sentence is ever held in the operator across a checkpoint: the operator
 * keeps no state, and every sentence the checkpoint's offsets cover has been emitted before the barrier.
 */
public final class EmbedOperator extends AbstractStreamOperator<Embedding>
    implements OneInputStreamOperator<Sentence, Embedding>, BoundedOneInput {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(EmbedOperator.class);

  private final String model;
  private final int batchSize;
  private final int encoderBatchSize;
  private final long maxWaitMillis;
  private final int threads;

  private transient SentenceEncoder encoder;
  private transient BatchEmbedder embedder;
  private transient MicroBatcher<Sentence> batcher;
  private transient long timerAt;
  private transient Counter embeddingsOut;
  private transient Counter truncated;
  private transient Meter embeddingsPerSecond;
  private transient Histogram batchSizes;
  private transient Histogram eventTimeToEmit;
  private transient Histogram batchMillis;

  /**
   * @param model bundle directory or built-in name
   * @param batchSize sentences per micro-batch at most
   * @param encoderBatchSize sentences per ONNX Runtime call
   * @param maxWaitMillis longest wait of a batch's first sentence
   * @param threads encoder threads, or 0 for available processors divided by the parallelism
   */
  public EmbedOperator(String model, int batchSize, int encoderBatchSize, long maxWaitMillis, int threads) {
    this.model = model;
    this.batchSize = batchSize;
    this.encoderBatchSize = encoderBatchSize;
    this.maxWaitMillis = maxWaitMillis;
    this.threads = threads;
  }

  @Override
  public void open() throws Exception {
    super.open();
    TrustedRecords.install();
    int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
    int encoderThreads = threads > 0 ? threads
        : Math.max(1, Runtime.getRuntime().availableProcessors() / parallelism);
    try {
      encoder = SentenceEncoder.open(ModelBundle.resolve(model),
          EncoderOptions.defaults().withBatchSize(encoderBatchSize).withThreads(encoderThreads));
    } catch (InvalidBundleException e) {
      throw new IllegalStateException("Cannot serve model '" + model + "': " + e.getMessage(), e);
    }
    embedder = new BatchEmbedder(encoder);
    batcher = new MicroBatcher<>(batchSize, maxWaitMillis);
    timerAt = Long.MAX_VALUE;
    MetricGroup metrics = getMetricGroup();
    embeddingsOut = metrics.counter("embeddingsOut");
    truncated = metrics.counter("truncatedSentences");
    embeddingsPerSecond = metrics.meter("embeddingsPerSecond", new MeterView(embeddingsOut));
    batchSizes = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
    eventTimeToEmit = metrics.histogram("eventTimeToEmitMillis", new DescriptiveStatisticsHistogram(10_000));
    batchMillis = metrics.histogram("batchEmbedMillis", new DescriptiveStatisticsHistogram(1000));
    String version = encoder.modelVersion();
    metrics.gauge("modelVersion", () -> version);
    LOG.info("Embedding with {} ({} threads), batches of {} or {} ms", version, encoderThreads, batchSize,
        maxWaitMillis);
  }

  @Override
  public void processElement(StreamRecord<Sentence> element) throws Exception {
    long now = getProcessingTimeService().getCurrentProcessingTime();
    if (batcher.add(element.getValue(), now)) {
      flush();
    } else {
      scheduleFlush();
    }
  }

  private void scheduleFlush() {
    long deadline = batcher.deadline();
    if (deadline < timerAt) {
      timerAt = deadline;
      getProcessingTimeService().registerTimer(deadline, this::onTimer);
    }
  }

  private void onTimer(long time) throws Exception {
    timerAt = Long.MAX_VALUE;
    if (batcher.isDue(time)) {
      flush();
    } else if (!batcher.isEmpty()) {
      scheduleFlush();
    }
  }

  /** Embeds and emits the current batch, if any. */
  private void flush() {
    if (batcher.isEmpty()) {
      return;
    }
    List<Sentence> batch = batcher.drain();
    long started = System.nanoTime();
    List<Embedding> embeddings = embedder.embed(batch);
    long tookMillis = (System.nanoTime() - started) / 1_000_000;
    batchMillis.update(tookMillis);
    if (LOG.isDebugEnabled()) {
      LOG.debug("Embedded a batch of {} in {} ms; oldest event time {} ms ago", batch.size(), tookMillis,
          System.currentTimeMillis() - batch.get(0).getEventTime().toEpochMilli());
    }
    batchSizes.update(batch.size());
    long emitMillis = System.currentTimeMillis();
    for (Embedding e : embeddings) {
      output.collect(new StreamRecord<>(e));
      eventTimeToEmit.update(emitMillis - e.getEventTime().toEpochMilli());
      if (e.getTruncated()) {
        truncated.inc();
      }
    }
    embeddingsOut.inc(embeddings.size());
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    flush();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void endInput() {
    flush();
  }

  @Override
  public void finish() throws Exception {
    flush();
    super.finish();
  }

  @Override
  public void close() throws Exception {
    try {
      super.close();
    } finally {
      if (encoder != null) {
        encoder.close();
      }
    }
  }
}
