package io.twinstream.embedder.operator;

import io.twinstream.embedder.registry.RegistryLocations;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.TokenEstimate;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.encoder.serving.ModelSwitch;
import io.twinstream.encoder.serving.ServingModel;
import io.twinstream.records.Embedding;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.TrustedRecords;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers sentences (input 1) into micro-batches ({@link MicroBatcher}), embeds each batch with one
 * encoder call and emits one {@link Embedding} per sentence; model updates (input 2, broadcast to
 * every instance) switch the model between two batches ({@link ModelSwitch}).
 *
 * <p>Batches are embedded on a thread of their own ({@link EncodingLane}), one at a time, so that
 * while one batch is on the encoder the next one forms from the sentences arriving meanwhile. The
 * wait adapts to load: a batch goes to the encoder as soon as the encoder is free and the batch is
 * due (its first sentence has waited {@code maxWaitMillis}, by default not at all), or when it is
 * full ({@code batchSize} sentences or {@code maxTokens} estimated tokens) — and a full batch while
 * the encoder is busy waits for it, which is the back pressure. Under light load batches are single
 * sentences embedded at once; under heavy load they grow to the budget. Results are emitted on the
 * operator's thread, in the order the batches were formed.
 *
 * <p>The model is swapped only while no batch is in flight, and a batch keeps the encoder it was
 * handed, so no batch mixes versions. Before every checkpoint barrier ({@link
 * #prepareSnapshotPreBarrier}) and at the end of input the batch in flight and the one forming are
 * embedded and emitted: no sentence is held across a checkpoint. The only state is the serving
 * model and the update still loading, if any (union list states), so a restarted job serves the
 * version it served at the checkpoint and loads again the update it was loading — which it will not
 * read again, as its offset is part of the same checkpoint.
 */
public final class EmbedOperator extends AbstractStreamOperator<Embedding>
    implements TwoInputStreamOperator<Sentence, ModelUpdate, Embedding>, BoundedMultiInput {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(EmbedOperator.class);

  /** The token budget of a micro-batch when none is given: 32 documents of 256 tokens. */
  public static final int DEFAULT_MAX_TOKENS = 8192;

  /** What the lane gives back: a batch, its embeddings (and the dual version's), how long. */
  private record EmbeddedBatch(
      List<Sentence> batch, List<Embedding> embeddings, List<Embedding> dual, long nanos) {}

  private final String model;
  private final String registryRoot;
  private final int batchSize;
  private final int maxTokens;
  private final int encoderBatchSize;
  private final long maxWaitMillis;
  private final int threads;
  private final boolean dualWrite;

  private transient ModelSwitch models;
  private transient MicroBatcher<Sentence> batcher;
  private transient EncodingLane<EmbeddedBatch> lane;
  private transient MailboxExecutor mailbox;
  private transient int maxSequenceLength;
  private transient long timerAt;
  private transient ListState<ServingModel> servingState;
  private transient ServingModel restored;
  private transient ListState<ServingModel> pendingState;
  private transient ServingModel restoredPending;
  private transient ListState<ServingModel> dualState;
  private transient ServingModel restoredDual;
  private transient ListState<ServingModel> storeServesState;
  private transient ServingModel restoredStoreServes;
  private transient Counter dualEmbeddingsOut;
  private transient Counter embeddingsOut;
  private transient Counter truncated;
  private transient Counter swaps;
  private transient Counter batches;
  private transient Histogram batchSizes;
  private transient Histogram eventTimeToEmit;
  private transient Histogram batchMillis;
  private transient Histogram batchTokens;
  private transient Set<String> exportedVersions;

  /**
   * @param model initial model: bundle directory, built-in name, or {@code registry} for the
   *     registry's CURRENT
   * @param registryRoot the model registry updates may point into, or empty to refuse all updates
   * @param batchSize sentences per micro-batch at most
   * @param encoderBatchSize sentences per ONNX Runtime call
   * @param maxWaitMillis longest wait of a batch's first sentence
   * @param threads encoder threads, or 0 for available processors divided by the parallelism
   */
  public EmbedOperator(
      String model,
      String registryRoot,
      int batchSize,
      int encoderBatchSize,
      long maxWaitMillis,
      int threads) {
    this(model, registryRoot, batchSize, encoderBatchSize, maxWaitMillis, threads, false);
  }

  /**
   * @param dualWrite whether to embed with the version a vector store still searches too, while a
   *     newer one is backfilled
   */
  public EmbedOperator(
      String model,
      String registryRoot,
      int batchSize,
      int encoderBatchSize,
      long maxWaitMillis,
      int threads,
      boolean dualWrite) {
    this(
        model,
        registryRoot,
        batchSize,
        DEFAULT_MAX_TOKENS,
        encoderBatchSize,
        maxWaitMillis,
        threads,
        dualWrite);
  }

  /**
   * @param maxTokens estimated tokens per micro-batch at most (the sentence that crosses it is the
   *     batch's last)
   */
  public EmbedOperator(
      String model,
      String registryRoot,
      int batchSize,
      int maxTokens,
      int encoderBatchSize,
      long maxWaitMillis,
      int threads,
      boolean dualWrite) {
    this.dualWrite = dualWrite;
    this.model = model;
    this.registryRoot = registryRoot == null ? "" : registryRoot;
    this.batchSize = batchSize;
    this.maxTokens = maxTokens;
    this.encoderBatchSize = encoderBatchSize;
    this.maxWaitMillis = maxWaitMillis;
    this.threads = threads;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    servingState =
        context
            .getOperatorStateStore()
            .getUnionListState(new ListStateDescriptor<>("serving-model", ServingModel.class));
    pendingState =
        context
            .getOperatorStateStore()
            .getUnionListState(new ListStateDescriptor<>("pending-model", ServingModel.class));
    dualState =
        context
            .getOperatorStateStore()
            .getUnionListState(new ListStateDescriptor<>("dual-model", ServingModel.class));
    storeServesState =
        context
            .getOperatorStateStore()
            .getUnionListState(new ListStateDescriptor<>("store-serves", ServingModel.class));
    restored = null;
    restoredPending = null;
    restoredDual = null;
    restoredStoreServes = null;
    if (context.isRestored()) {
      // Union state: every instance sees what all instances stored; the newest update wins.
      restored = newest(servingState.get());
      restoredPending = newest(pendingState.get());
      restoredDual = newest(dualState.get());
      restoredStoreServes = newest(storeServesState.get());
    }
  }

  private static ServingModel newest(Iterable<ServingModel> models) {
    ServingModel newest = null;
    for (ServingModel m : models) {
      if (newest == null || m.updatedAt > newest.updatedAt) {
        newest = m;
      }
    }
    return newest;
  }

  @Override
  public void open() throws Exception {
    super.open();
    TrustedRecords.install();
    int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
    int encoderThreads =
        threads > 0
            ? threads
            : Math.max(1, Runtime.getRuntime().availableProcessors() / parallelism);
    ModelRegistry registry = registryRoot.isBlank() ? null : RegistryLocations.open(registryRoot);
    models =
        new ModelSwitch(
            registry,
            EncoderOptions.defaults().withBatchSize(encoderBatchSize).withThreads(encoderThreads));
    models.dualWrite(dualWrite);
    try {
      models.start(restored, model);
    } catch (InvalidBundleException e) {
      models.close();
      throw new IllegalStateException("Cannot serve model '" + model + "': " + e.getMessage(), e);
    }
    models.resumeDual(restoredDual, restoredStoreServes);
    models.resume(restoredPending);
    batcher = new MicroBatcher<>(batchSize, maxTokens, maxWaitMillis);
    maxSequenceLength = models.encoder().maxSequenceLength();
    mailbox =
        getContainingTask()
            .getMailboxExecutorFactory()
            .createExecutor(getOperatorConfig().getChainIndex());
    lane =
        new EncodingLane<>(
            "embed-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() + "-encoder");
    exportedVersions = new HashSet<>();
    timerAt = Long.MAX_VALUE;
    MetricGroup metrics = getMetricGroup();
    embeddingsOut = metrics.counter("embeddingsOut");
    truncated = metrics.counter("truncatedSentences");
    swaps = metrics.counter("modelSwaps");
    batches = metrics.counter("batchesEmbedded");
    dualEmbeddingsOut = metrics.counter("dualEmbeddingsOut");
    metrics.gauge("dualWriteVersion", () -> models.dual() == null ? "" : models.dual().version);
    metrics.meter("embeddingsPerSecond", new MeterView(embeddingsOut));
    batchSizes = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
    eventTimeToEmit =
        metrics.histogram("eventTimeToEmitMillis", new DescriptiveStatisticsHistogram(10_000));
    batchMillis = metrics.histogram("batchEmbedMillis", new DescriptiveStatisticsHistogram(1000));
    batchTokens = metrics.histogram("batchTokens", new DescriptiveStatisticsHistogram(1000));
    metrics.gauge("modelVersion", () -> models.serving().version);
    metrics.gauge("modelVersionTimestamp", (Gauge<Long>) () -> models.serving().updatedAt);
    metrics.gauge("modelRefusals", models::refusals);
    exportServingVersion();
    LOG.info(
        "Embedding with {} ({} threads), micro-batches of at most {} sentences or {} tokens,"
            + " waiting up to {} ms while the encoder is free, encoder batches of {}",
        models.serving().version,
        encoderThreads,
        batchSize,
        maxTokens,
        maxWaitMillis,
        encoderBatchSize);
  }

  @Override
  public void processElement1(StreamRecord<Sentence> element) throws Exception {
    long now = getProcessingTimeService().getCurrentProcessingTime();
    Sentence sentence = element.getValue();
    batcher.add(sentence, TokenEstimate.of(sentence.getText(), maxSequenceLength), now);
    dispatchIfReady(now);
  }

  /** Waits until the model loads started so far have finished (loaded or refused); for tests. */
  void awaitModelLoads(Duration timeout) throws Exception {
    models.awaitLoads(timeout);
  }

  /** Batches embedded and emitted so far; for tests. */
  long batchesEmbedded() {
    return batches.getCount();
  }

  @Override
  public void processElement2(StreamRecord<ModelUpdate> element) throws Exception {
    // An update may close the dual version's encoder: never while a batch uses it.
    emit(lane.await());
    models.onUpdate(element.getValue());
  }

  /**
   * Hands the forming batch to the encoder when the encoder is free and the batch is due or full; a
   * full batch while the encoder is busy waits for the batch in flight (back pressure).
   */
  private void dispatchIfReady(long now) throws Exception {
    if (batcher.isEmpty()) {
      return;
    }
    if (lane.busy()) {
      if (!batcher.isFull()) {
        return; // forms further; the batch in flight hands it over when it ends
      }
      emit(lane.await());
    }
    if (batcher.isFull() || batcher.isDue(now)) {
      dispatch();
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
    dispatchIfReady(time);
  }

  /** Runs on the operator's thread once the lane says its batch ended. */
  private void onBatchDone() throws Exception {
    EmbeddedBatch done = lane.takeIfDone();
    if (done != null) {
      emit(done);
      dispatchIfReady(getProcessingTimeService().getCurrentProcessingTime());
    }
  }

  /** Swaps in a newly loaded model if one is ready; only while no batch is in flight. */
  private void swapIfReady() {
    if (models.swapIfReady()) {
      swaps.inc();
      exportServingVersion();
    }
  }

  /** Hands the forming batch to the lane, with the encoders it must use. The lane is free. */
  private void dispatch() {
    swapIfReady();
    batchTokens.update(batcher.tokens());
    List<Sentence> batch = batcher.drain();
    BatchEmbedder serving = new BatchEmbedder(models.encoder());
    var dualEncoder = models.dualEncoder();
    BatchEmbedder dual = dualEncoder == null ? null : new BatchEmbedder(dualEncoder);
    lane.submit(
        () -> {
          long started = System.nanoTime();
          List<Embedding> embeddings = serving.embed(batch);
          List<Embedding> dualEmbeddings = dual == null ? List.of() : dual.embed(batch);
          return new EmbeddedBatch(batch, embeddings, dualEmbeddings, System.nanoTime() - started);
        },
        () -> {
          try {
            mailbox.execute(this::onBatchDone, "emit an embedded batch");
          } catch (RejectedExecutionException closing) {
            // The task is ending: its last flush waits for the batch itself.
          }
        });
  }

  private void emit(EmbeddedBatch done) {
    if (done == null) {
      return;
    }
    long tookMillis = done.nanos() / 1_000_000;
    batchMillis.update(tookMillis);
    batchSizes.update(done.batch().size());
    batches.inc();
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "Embedded a batch of {} with {} in {} ms; oldest event time {} ms ago",
          done.batch().size(),
          done.embeddings().get(0).getModelVersion(),
          tookMillis,
          System.currentTimeMillis() - done.batch().get(0).getEventTime().toEpochMilli());
    }
    long emitMillis = System.currentTimeMillis();
    for (Embedding e : done.embeddings()) {
      output.collect(new StreamRecord<>(e));
      eventTimeToEmit.update(emitMillis - e.getEventTime().toEpochMilli());
      if (e.getTruncated()) {
        truncated.inc();
      }
    }
    embeddingsOut.inc(done.embeddings().size());
    for (Embedding e : done.dual()) {
      output.collect(new StreamRecord<>(e));
    }
    dualEmbeddingsOut.inc(done.dual().size());
  }

  /**
   * Embeds and emits everything held: the batch in flight, then the forming one. Swaps in a model
   * that finished loading even when nothing is held.
   */
  private void flush() throws Exception {
    emit(lane.await());
    if (batcher.isEmpty()) {
      swapIfReady();
      return;
    }
    dispatch();
    emit(lane.await());
  }

  /**
   * The serving version as an info-style metric Prometheus keeps (string gauges it drops): {@code
   * modelServing} with a {@code model_version} label, 1 for the version serving now and 0 for the
   * versions served before.
   */
  private void exportServingVersion() {
    String version = models.serving().version;
    if (exportedVersions.add(version)) {
      getMetricGroup()
          .addGroup("model_version", version)
          .gauge(
              "modelServing",
              (Gauge<Integer>) () -> version.equals(models.serving().version) ? 1 : 0);
    }
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    flush();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    servingState.update(List.of(models.serving()));
    ServingModel pending = models.pending();
    pendingState.update(pending == null ? List.of() : List.of(pending));
    ServingModel dual = models.dual();
    dualState.update(dual == null ? List.of() : List.of(dual));
    ServingModel storeServes = models.storeServes();
    storeServesState.update(storeServes == null ? List.of() : List.of(storeServes));
  }

  @Override
  public void endInput(int inputId) throws Exception {
    if (inputId == 1) {
      flush();
    }
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
      try {
        if (lane != null) {
          lane.close();
        }
      } finally {
        if (models != null) {
          models.close();
        }
      }
    }
  }
}
