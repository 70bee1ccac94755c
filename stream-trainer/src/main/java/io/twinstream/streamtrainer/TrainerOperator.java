package io.twinstream.streamtrainer;

import io.twinstream.embedder.registry.RegistryLocations;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.TrustedRecords;
import io.twinstream.trainer.TorchDefaults;
import io.twinstream.trainer.data.BeirDataset;
import io.twinstream.trainer.eval.Evaluator;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.eval.SampledCorpus;
import io.twinstream.trainer.online.ContinuousTrainer;
import io.twinstream.trainer.online.Feedback;
import io.twinstream.trainer.online.FineTuningRound;
import io.twinstream.trainer.online.ModelUpdatePublisher;
import io.twinstream.trainer.online.RoundObserver;
import io.twinstream.trainer.online.RoundReport;
import io.twinstream.trainer.online.TrainerSettings;
import io.twinstream.trainer.online.TrainerState;
import io.twinstream.trainer.online.TrainerStateCodec;
import io.twinstream.trainer.task.RetrievalTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
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

/**
 * The trainer in a job (parallelism 1): a thin Flink shell around the plain-Java {@link
 * ContinuousTrainer}. Feedback pairs go into its replay buffer; a processing-time timer collects
 * finished rounds and starts due ones (rounds run on their own thread, so feedback, embedding and
 * checkpoints never wait for training); the trainer's whole state is operator state.
 *
 * <p>The trainer's {@link ModelUpdate}s are this operator's output, which the job writes to {@code
 * model-updates} with its transactional sink: an announcement is visible exactly when the
 * checkpoint after it completes, and {@link #notifyCheckpointComplete} then lets the trainer move
 * the registry's {@code CURRENT}. After a restart, whether a finished round was announced already
 * is read from the topic.
 *
 * <p>Metrics (operator scope): {@code feedbackIn}, {@code feedbackBuffered}, {@code
 * feedbackHeldOut}, {@code feedbackReceived}, {@code roundsStarted}, {@code roundsPromoted}, {@code
 * roundsRejected}, {@code roundsFailed}, {@code roundRunning}, {@code lastLoss}, {@code
 * lastCandidateMetric}, {@code lastServingMetric}, {@code lastRoundSeconds}, and where the last
 * round's time went: {@code lastTrainSeconds}, {@code lastPairsPerSecond}, {@code
 * lastExportSeconds}, {@code lastEvaluateSeconds}, {@code lastPublishSeconds}, {@code
 * lastTextsEmbedded}; negative flips of the last candidate and its query bridge ({@code
 * lastNegativeFlips}, {@code lastBridgeNegativeFlips}) and the bridge's fit ({@code
 * lastBridgeCosine}, {@code lastBridgeTexts}, {@code lastBridgeFitSeconds}).
 */
public final class TrainerOperator extends AbstractStreamOperator<ModelUpdate>
    implements OneInputStreamOperator<FeedbackPair, ModelUpdate>,
        BoundedOneInput,
        ProcessingTimeCallback {

  private static final long serialVersionUID = 1L;
  private static final long POLL_MILLIS = 200;

  private final TrainerSettings settings;
  private final String registryRoot;
  private final String registryName;
  private final String updatesTopic;
  private final HashMap<String, Object> kafka;
  private final String[] evalFiles;
  private final SampledCorpus.Sampling evalSampling;
  private final RoundObserver observer;

  private transient ContinuousTrainer trainer;
  private transient ListState<byte[]> state;
  private transient TrainerState restored;
  private transient Counter feedbackIn;

  /**
   * @param kafka Kafka client settings, to read the model-updates topic back after a restart
   * @param evalFiles corpus, queries and qrels of the fixed evaluation set, or null
   * @param evalSampling how that set's corpus is sampled, or null to rank all of it
   * @param observer hears rounds (may be null)
   */
  public TrainerOperator(
      TrainerSettings settings,
      String registryRoot,
      String registryName,
      String updatesTopic,
      Map<String, Object> kafka,
      String[] evalFiles,
      SampledCorpus.Sampling evalSampling,
      RoundObserver observer) {
    this.settings = settings;
    this.registryRoot = registryRoot;
    this.registryName = registryName;
    this.updatesTopic = updatesTopic;
    this.kafka = new HashMap<>(kafka);
    this.evalFiles = evalFiles == null ? null : evalFiles.clone();
    this.evalSampling = evalSampling;
    this.observer = observer;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    state =
        context
            .getOperatorStateStore()
            .getListState(
                new ListStateDescriptor<>(
                    "trainer", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
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
    TorchDefaults.apply();
    ModelRegistry registry = RegistryLocations.open(registryRoot);
    // The job's sink writes to this compacted topic; create it, as a client that announces would.
    KafkaModelUpdates topic =
        new KafkaModelUpdates(registry, registryName, kafka, updatesTopic).ensureTopic();
    long now = getProcessingTimeService().getCurrentProcessingTime();
    trainer =
        new ContinuousTrainer(
            settings, registry, fixedTask(), new Publisher(topic), restored, observer, now);
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
    // The gate's evidence: mean per-query nDCG@10 difference and its interval, overall and on the
    // unseen-document probe.
    metrics.gauge("lastGateDifference", (Gauge<Double>) () -> last("gate/difference"));
    metrics.gauge("lastGateCiLow", (Gauge<Double>) () -> last("gate/ci-low"));
    metrics.gauge("lastGateCiHigh", (Gauge<Double>) () -> last("gate/ci-high"));
    metrics.gauge("lastGateQueries", (Gauge<Double>) () -> last("gate/queries"));
    metrics.gauge("lastProbeDifference", (Gauge<Double>) () -> last("gate/probe/difference"));
    metrics.gauge("lastProbeQueries", (Gauge<Double>) () -> last("gate/probe/queries"));
    metrics.gauge(
        "lastRoundSeconds",
        (Gauge<Double>)
            () -> {
              RoundReport r = trainer.lastReport();
              return r == null ? Double.NaN : r.seconds();
            });
    metrics.gauge("lastTrainSeconds", (Gauge<Double>) () -> last(FineTuningRound.TRAIN_SECONDS));
    metrics.gauge(
        "lastPairsPerSecond", (Gauge<Double>) () -> last(FineTuningRound.PAIRS_PER_SECOND));
    metrics.gauge("lastExportSeconds", (Gauge<Double>) () -> last(FineTuningRound.EXPORT_SECONDS));
    metrics.gauge(
        "lastEvaluateSeconds", (Gauge<Double>) () -> last(FineTuningRound.EVALUATE_SECONDS));
    metrics.gauge(
        "lastPublishSeconds", (Gauge<Double>) () -> last(ContinuousTrainer.PUBLISH_SECONDS));
    metrics.gauge("lastTextsEmbedded", (Gauge<Double>) () -> last(FineTuningRound.TEXTS_EMBEDDED));
    metrics.gauge(
        "lastLowerLayersComputed", (Gauge<Double>) () -> last(FineTuningRound.LOWER_COMPUTED));
    // Negative flips of the last candidate and of its query bridge; the bridge's fit.
    metrics.gauge("lastNegativeFlips", (Gauge<Double>) () -> last(FineTuningRound.NEGATIVE_FLIPS));
    metrics.gauge(
        "lastBridgeNegativeFlips",
        (Gauge<Double>) () -> last(FineTuningRound.BRIDGE_NEGATIVE_FLIPS));
    metrics.gauge("lastBridgeCosine", (Gauge<Double>) () -> last(FineTuningRound.BRIDGE_COSINE));
    metrics.gauge("lastBridgeTexts", (Gauge<Double>) () -> last(FineTuningRound.BRIDGE_TEXTS));
    metrics.gauge(
        "lastBridgeFitSeconds", (Gauge<Double>) () -> last(FineTuningRound.BRIDGE_FIT_SECONDS));
    getProcessingTimeService().registerTimer(now + POLL_MILLIS, this);
  }

  /** The fixed evaluation set, when one is configured. */
  private Evaluator fixedTask() throws IOException {
    if (evalFiles == null) {
      return null;
    }
    BeirDataset data =
        BeirDataset.read(Path.of(evalFiles[0]), Path.of(evalFiles[1]), Path.of(evalFiles[2]));
    if (!data.badLines().isEmpty()) {
      LOG.warn(
          "Fixed evaluation set: {} bad lines skipped, first: {}",
          data.badLines().size(),
          data.badLines().get(0));
    }
    RetrievalTask task = RetrievalTask.of("fixed", data);
    RetrievalEvaluator evaluator =
        task.evaluator(new ArrayList<>(task.queries().keySet()), evalSampling);
    LOG.info(
        "Fixed evaluation set: {} queries over {} of its {} documents ({})",
        evaluator.queryCount(),
        evaluator.documentCount(),
        task.corpus().size(),
        evalSampling == null ? "the whole corpus" : evalSampling);
    return evaluator;
  }

  /**
   * Announcements go out as this operator's output; what was committed before is read from the
   * topic.
   */
  private final class Publisher implements ModelUpdatePublisher {
    private final KafkaModelUpdates topic;

    Publisher(KafkaModelUpdates topic) {
      this.topic = topic;
    }

    @Override
    public void publish(ModelUpdate update) {
      output.collect(new StreamRecord<>(update));
    }

    @Override
    public boolean published(String version) throws IOException {
      return topic.published(version);
    }
  }

  private String firstTask(String prefix) {
    RoundReport r = trainer.lastReport();
    return prefix
        + (r != null && r.metrics().containsKey(prefix + "heldout/ndcg@10")
            ? "heldout/ndcg@10"
            : "fixed/ndcg@10");
  }

  private double last(String metric) {
    RoundReport r = trainer.lastReport();
    return r == null ? Double.NaN : r.metrics().getOrDefault(metric, Double.NaN);
  }

  @Override
  public void processElement(StreamRecord<FeedbackPair> element) {
    FeedbackPair pair = element.getValue();
    feedbackIn.inc();
    trainer.offer(
        new Feedback(
            pair.getAnchor(),
            pair.getCandidate(),
            pair.getLabel(),
            pair.getEventTime().toEpochMilli(),
            pair.getWeight()));
    trainer.maybeStart(getProcessingTimeService().getCurrentProcessingTime());
  }

  @Override
  public void onProcessingTime(long time) {
    trainer.poll();
    trainer.maybeStart(time);
    getProcessingTimeService().registerTimer(time + POLL_MILLIS, this);
  }

  /** At the end of a bounded input, the running round (if any) is waited for and announced. */
  @Override
  public void endInput() throws Exception {
    trainer.awaitRound();
    trainer.poll();
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    state.update(List.of(TrainerStateCodec.encode(trainer.snapshot(context.getCheckpointId()))));
  }

  @Override
  public void notifyCheckpointComplete(long checkpointId) throws Exception {
    super.notifyCheckpointComplete(checkpointId);
    trainer.checkpointCompleted(checkpointId);
  }

  @Override
  public void close() throws Exception {
    if (trainer != null) {
      trainer.close();
    }
    super.close();
  }
}
