package io.twinstream.embedder.trainer;

import io.twinstream.embedder.model.ModelUpdates;
import io.twinstream.embedder.model.RegistryLocations;
import io.twinstream.encoder.ModelRegistry;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.TrustedRecords;
import io.twinstream.trainer.data.BeirDataset;
import io.twinstream.trainer.eval.Evaluator;
import io.twinstream.trainer.online.Feedback;
import io.twinstream.trainer.task.RetrievalTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;

/**
 * The trainer in the job (parallelism 1): a thin Flink shell around {@link ContinuousTrainer}. Feedback pairs
 * go into its replay buffer; a processing-time timer collects finished rounds and starts due ones (rounds run
 * on their own thread, so feedback, embedding and checkpoints never wait for training); the trainer's whole
 * state is operator state. Emits the model update of each finished round (also sent to the model-updates
 * topic by the trainer itself).
 *
 * <p>Metrics (operator scope): {@code feedbackBuffered}, {@code feedbackHeldOut}, {@code feedbackReceived},
 * {@code roundsStarted}, {@code roundsPromoted}, {@code roundsRejected}, {@code roundsFailed},
 * {@code roundRunning}, {@code lastLoss}, {@code lastCandidateMetric}, {@code lastServingMetric},
 * {@code lastRoundSeconds}.
 */
public final class TrainerOperator extends AbstractStreamOperator<ModelUpdate>
    implements OneInputStreamOperator<FeedbackPair, ModelUpdate>, BoundedOneInput, ProcessingTimeCallback {

  private static final long serialVersionUID = 1L;
  private static final long POLL_MILLIS = 200;

  private final ContinuousTrainer.Settings settings;
  private final String registryRoot;
  private final String registryName;
  private final String updatesTopic;
  private final HashMap<String, Object> kafka;
  private final String[] evalFiles;
  private final ContinuousTrainer.RoundObserver observer;

  private transient ContinuousTrainer trainer;
  private transient ListState<byte[]> state;
  private transient ContinuousTrainer.State restored;
  private transient Counter feedbackIn;

  /**
   * @param kafka Kafka client settings for the model-update producer
   * @param evalFiles corpus, queries and qrels of the fixed evaluation set, or null
   * @param observer hears rounds (may be null)
   */
  public TrainerOperator(ContinuousTrainer.Settings settings, String registryRoot, String registryName,
      String updatesTopic, Map<String, Object> kafka, String[] evalFiles,
      ContinuousTrainer.RoundObserver observer) {
    this.settings = settings;
    this.registryRoot = registryRoot;
    this.registryName = registryName;
    this.updatesTopic = updatesTopic;
    this.kafka = new HashMap<>(kafka);
    this.evalFiles = evalFiles == null ? null : evalFiles.clone();
    this.observer = observer;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    state = context.getOperatorStateStore().getListState(
        new ListStateDescriptor<>("trainer", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    restored = null;
    if (context.isRestored()) {
      for (byte[] bytes : state.get()) {
        restored = TrainerStateCodec.decode(bytes);
      }
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    TrustedRecords.install();
    io.twinstream.trainer.TorchDefaults.apply();
    ModelRegistry registry = RegistryLocations.open(registryRoot);
    ModelUpdates updates = new ModelUpdates(registry, registryName, kafka, updatesTopic);
    updates.ensureTopic();
    Evaluator fixed = null;
    if (evalFiles != null) {
      BeirDataset data = BeirDataset.read(Path.of(evalFiles[0]), Path.of(evalFiles[1]), Path.of(evalFiles[2]));
      if (!data.badLines().isEmpty()) {
        LOG.warn("Fixed evaluation set: {} bad lines skipped, first: {}", data.badLines().size(),
            data.badLines().get(0));
      }
      RetrievalTask task = RetrievalTask.of("fixed", data);
      fixed = task.evaluator(new ArrayList<>(task.queries().keySet()));
    }
    long now = getProcessingTimeService().getCurrentProcessingTime();
    trainer = new ContinuousTrainer(settings, registry, updates, fixed, restored, observer, now);
    restored = null;
    MetricGroup metrics = getMetricGroup();
    feedbackIn = metrics.counter("feedbackIn");
    metrics.gauge("feedbackBuffered", (Gauge<Integer>) () -> trainer.bufferedTraining());
    metrics.gauge("feedbackHeldOut", (Gauge<Integer>) () -> trainer.bufferedHeldOut());
    metrics.gauge("feedbackReceived", (Gauge<Long>) () -> trainer.received());
    metrics.gauge("roundsStarted", (Gauge<Long>) () -> trainer.roundsStarted());
    metrics.gauge("roundsPromoted", (Gauge<Long>) () -> trainer.roundsPromoted());
    metrics.gauge("roundsRejected", (Gauge<Long>) () -> trainer.roundsRejected());
    metrics.gauge("roundsFailed", (Gauge<Long>) () -> trainer.roundsFailed());
    metrics.gauge("roundRunning", (Gauge<Integer>) () -> trainer.roundRunning() ? 1 : 0);
    metrics.gauge("lastLoss", (Gauge<Double>) () -> last("round/last-loss"));
    metrics.gauge("lastCandidateMetric", (Gauge<Double>) () -> last(firstTask("")));
    metrics.gauge("lastServingMetric", (Gauge<Double>) () -> last(firstTask("parent/")));
    metrics.gauge("lastRoundSeconds", (Gauge<Double>) () -> {
      ContinuousTrainer.RoundReport r = trainer.lastReport();
      return r == null ? Double.NaN : r.seconds();
    });
    getProcessingTimeService().registerTimer(now + POLL_MILLIS, this);
  }

  private String firstTask(String prefix) {
    return prefix + (trainer.lastReport() != null && trainer.lastReport().metrics().containsKey(prefix
        + "heldout/ndcg@10") ? "heldout/ndcg@10" : "fixed/ndcg@10");
  }

  private double last(String metric) {
    ContinuousTrainer.RoundReport r = trainer.lastReport();
    return r == null ? Double.NaN : r.metrics().getOrDefault(metric, Double.NaN);
  }

  @Override
  public void processElement(StreamRecord<FeedbackPair> element) {
    FeedbackPair pair = element.getValue();
    feedbackIn.inc();
    trainer.offer(new Feedback(pair.getAnchor(), pair.getCandidate(), pair.getLabel(),
        pair.getEventTime().toEpochMilli()));
    trainer.maybeStart(getProcessingTimeService().getCurrentProcessingTime());
  }

  @Override
  public void onProcessingTime(long time) {
    collectAndStart(time);
    getProcessingTimeService().registerTimer(time + POLL_MILLIS, this);
  }

  private void collectAndStart(long now) {
    trainer.poll().ifPresent(report -> {
      if (report.update() != null) {
        output.collect(new StreamRecord<>(report.update()));
      }
    });
    trainer.maybeStart(now);
  }

  /** At the end of a bounded input, the running round (if any) is waited for. */
  @Override
  public void endInput() throws Exception {
    while (trainer.roundRunning()) {
      Thread.sleep(POLL_MILLIS);
      trainer.poll().ifPresent(report -> {
        if (report.update() != null) {
          output.collect(new StreamRecord<>(report.update()));
        }
      });
    }
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    state.update(List.of(TrainerStateCodec.encode(trainer.snapshot())));
  }

  @Override
  public void close() throws Exception {
    if (trainer != null) {
      trainer.close();
    }
    super.close();
  }
}
