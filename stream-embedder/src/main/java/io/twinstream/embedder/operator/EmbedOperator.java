package io.twinstream.embedder.operator;

import io.twinstream.embedder.registry.RegistryLocations;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.InvalidBundleException;
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
 * <p>A batch is flushed when it is full, when its first sentence has waited the maximum time (a
 * processing time timer), before every checkpoint barrier ({@link #prepareSnapshotPreBarrier}) and
 * at the end of input. Flushing before the barrier means no sentence is held across a checkpoint.
 * The only state is the serving model and the update still loading, if any (union list states), so
 * a restarted job serves the version it served at the checkpoint and loads again the update it was
 * loading — which it will not read again, as its offset is part of the same checkpoint.
 */
public final class EmbedOperator extends AbstractStreamOperator<Embedding>
    implements TwoInputStreamOperator<Sentence, ModelUpdate, Embedding>, BoundedMultiInput {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(EmbedOperator.class);

  private final String model;
  private final String registryRoot;
  private final int batchSize;
  private final int encoderBatchSize;
  private final long maxWaitMillis;
  private final int threads;
  private final boolean dualWrite;

  private transient ModelSwitch models;
  private transient MicroBatcher<Sentence> batcher;
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
  private transient Histogram batchSizes;
  private transient Histogram eventTimeToEmit;
  private transient Histogram batchMillis;
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
    this.dualWrite = dualWrite;
    this.model = model;
    this.registryRoot = registryRoot == null ? "" : registryRoot;
    this.batchSize = batchSize;
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
    batcher = new MicroBatcher<>(batchSize, maxWaitMillis);
    exportedVersions = new HashSet<>();
    timerAt = Long.MAX_VALUE;
    MetricGroup metrics = getMetricGroup();
    embeddingsOut = metrics.counter("embeddingsOut");
    truncated = metrics.counter("truncatedSentences");
    swaps = metrics.counter("modelSwaps");
    dualEmbeddingsOut = metrics.counter("dualEmbeddingsOut");
    metrics.gauge("dualWriteVersion", () -> models.dual() == null ? "" : models.dual().version);
    metrics.meter("embeddingsPerSecond", new MeterView(embeddingsOut));
    batchSizes = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
    eventTimeToEmit =
        metrics.histogram("eventTimeToEmitMillis", new DescriptiveStatisticsHistogram(10_000));
    batchMillis = metrics.histogram("batchEmbedMillis", new DescriptiveStatisticsHistogram(1000));
    metrics.gauge("modelVersion", () -> models.serving().version);
    metrics.gauge("modelVersionTimestamp", (Gauge<Long>) () -> models.serving().updatedAt);
    metrics.gauge("modelRefusals", models::refusals);
    exportServingVersion();
    LOG.info(
        "Embedding with {} ({} threads), micro-batches of {} or {} ms, encoder batches of {}",
        models.serving().version,
        encoderThreads,
        batchSize,
        maxWaitMillis,
        encoderBatchSize);
  }

  @Override
  public void processElement1(StreamRecord<Sentence> element) throws Exception {
    long now = getProcessingTimeService().getCurrentProcessingTime();
    if (batcher.add(element.getValue(), now)) {
      flush();
    } else {
      scheduleFlush();
    }
  }

  /** Waits until the model loads started so far have finished (loaded or refused); for tests. */
  void awaitModelLoads(Duration timeout) throws Exception {
    models.awaitLoads(timeout);
  }

  @Override
  public void processElement2(StreamRecord<ModelUpdate> element) {
    models.onUpdate(element.getValue());
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

  /**
   * Swaps in a newly loaded model if one is ready, then embeds and emits the current batch, if any.
   */
  private void flush() {
    if (models.swapIfReady()) {
      swaps.inc();
      exportServingVersion();
    }
    if (batcher.isEmpty()) {
      return;
    }
    List<Sentence> batch = batcher.drain();
    long started = System.nanoTime();
    List<Embedding> embeddings = new BatchEmbedder(models.encoder()).embed(batch);
    long tookMillis = (System.nanoTime() - started) / 1_000_000;
    batchMillis.update(tookMillis);
    batchSizes.update(batch.size());
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "Embedded a batch of {} with {} in {} ms; oldest event time {} ms ago",
          batch.size(),
          models.serving().version,
          tookMillis,
          System.currentTimeMillis() - batch.get(0).getEventTime().toEpochMilli());
    }
    long emitMillis = System.currentTimeMillis();
    for (Embedding e : embeddings) {
      output.collect(new StreamRecord<>(e));
      eventTimeToEmit.update(emitMillis - e.getEventTime().toEpochMilli());
      if (e.getTruncated()) {
        truncated.inc();
      }
    }
    embeddingsOut.inc(embeddings.size());
    var dualEncoder = models.dualEncoder();
    if (dualEncoder != null) {
      for (Embedding e : new BatchEmbedder(dualEncoder).embed(batch)) {
        output.collect(new StreamRecord<>(e));
      }
      dualEmbeddingsOut.inc(batch.size());
    }
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
  public void endInput(int inputId) {
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
      if (models != null) {
        models.close();
      }
    }
  }
}
