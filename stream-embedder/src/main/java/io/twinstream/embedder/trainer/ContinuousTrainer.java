package io.twinstream.embedder.trainer;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.TrainerOptions;
import io.twinstream.embedder.model.ModelUpdates;
import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.ModelRegistry;
import io.twinstream.records.ModelUpdate;
import io.twinstream.trainer.FineTuner;
import io.twinstream.trainer.TrainingListener;
import io.twinstream.trainer.TrainingOptions;
import io.twinstream.trainer.eval.Evaluator;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.loss.Losses;
import io.twinstream.trainer.online.Feedback;
import io.twinstream.trainer.online.FeedbackExamples;
import io.twinstream.trainer.online.FineTuningRound;
import io.twinstream.trainer.online.PromotionGate;
import io.twinstream.trainer.online.ReplayBuffer;
import io.twinstream.trainer.online.TrainingTrigger;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.FileAlreadyExistsException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer of the job, plain Java and single-threaded from the caller's side (the Flink operator calls
 * every method from its task thread): buffers feedback, starts a {@link FineTuningRound} on a background thread
 * when the {@link TrainingTrigger} fires, and when the round ends publishes the candidate to the registry and
 * announces PROMOTED or REJECTED through {@link ModelUpdates} — the embedding operators swap through their
 * usual hot-swap path.
 *
 * <p>Restarts: {@link #snapshot()} is the whole state (buffer, round number, trigger counters, whether a round
 * was running). A round running at the snapshot is redone after a restore, with the same version, sample and
 * seed; a round whose version is already in the registry (it finished after the snapshot) is not trained again:
 * its outcome is read back from the bundle's manifest, and a promotion that had not been announced yet is.
 */
public final class ContinuousTrainer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ContinuousTrainer.class);

  /** The trainer's settings, from {@link TrainerOptions} and {@link EmbedderOptions#MODEL}. */
  public record Settings(int capacity, double holdoutShare, double halfLife, int sampleSize,
      TrainingTrigger trigger, String loss, TrainingOptions training, PromotionGate gate, String versionPrefix,
      long seed, String initialModel) implements Serializable {

    /** Reads and validates the settings. */
    public static Settings from(Configuration conf) {
      TrainerOptions.validate(conf);
      Losses.byName(conf.get(TrainerOptions.LOSS));
      return new Settings(conf.get(TrainerOptions.BUFFER_CAPACITY), conf.get(TrainerOptions.HOLDOUT_SHARE),
          conf.get(TrainerOptions.HALF_LIFE), conf.get(TrainerOptions.SAMPLE_SIZE),
          new TrainingTrigger(conf.get(TrainerOptions.EVERY_PAIRS), conf.get(TrainerOptions.EVERY),
              conf.get(TrainerOptions.MIN_PAIRS)),
          conf.get(TrainerOptions.LOSS),
          TrainingOptions.defaults().withEpochs(conf.get(TrainerOptions.EPOCHS))
              .withBatchSize(conf.get(TrainerOptions.BATCH_SIZE))
              .withLearningRate(conf.get(TrainerOptions.LEARNING_RATE)),
          new PromotionGate(conf.get(TrainerOptions.GATE_TOLERANCE), conf.get(TrainerOptions.GATE_MIN_IMPROVEMENT)),
          conf.get(TrainerOptions.VERSION_PREFIX), conf.get(TrainerOptions.SEED), conf.get(EmbedderOptions.MODEL));
    }
  }

  /**
   * Everything the trainer needs after a restart.
   *
   * @param buffer the replay buffer's entries
   * @param round the number of the next round (or of the running one)
   * @param newPairs feedback pairs since the last round started
   * @param lastRoundMillis when the last round started (epoch millis)
   * @param roundRunning whether round {@code round} was running
   */
  public record State(List<ReplayBuffer.Entry> buffer, long round, long newPairs, long lastRoundMillis,
      boolean roundRunning) {}

  /**
   * How a round ended.
   *
   * @param version the candidate's version
   * @param parentVersion the version it was trained from
   * @param promoted whether it now serves
   * @param recovered whether it had finished before a restart and was only read back (not trained again)
   * @param reason the gate's reason
   * @param metrics evaluation metrics and round facts
   * @param seconds how long the round took (0 when recovered)
   * @param update the model update sent, or null when none was sent (recovered)
   */
  public record RoundReport(String version, String parentVersion, boolean promoted, boolean recovered,
      String reason, Map<String, Double> metrics, double seconds, ModelUpdate update) {}

  /** Hears rounds start (on the round's thread) and end (on the caller's thread): metrics, alerts, tests. */
  public interface RoundObserver extends Serializable {
    /** A round is about to train {@code version}. */
    default void roundStarted(String version) {}

    /** A round ended. */
    default void roundFinished(RoundReport report) {}

    /** A round failed with an error (not a gate rejection). */
    default void roundFailed(String version, Throwable error) {}
  }

  /** Metric names of the buffer's facts recorded with each round. */
  public static final String BUFFER_TRAINING = "buffer/training";
  public static final String BUFFER_HELD_OUT = "buffer/held-out";
  public static final String BUFFER_RECEIVED = "buffer/received";

  /**
   * DJL's PyTorch engine allows one gradient collector per process, so rounds of every trainer in this JVM
   * (two jobs in one MiniCluster, or an abandoned round still finishing its step) run one at a time.
   */
  private static final java.util.concurrent.locks.ReentrantLock TRAINING = new java.util.concurrent.locks.ReentrantLock();

  private final Settings settings;
  private final ModelRegistry registry;
  private final ModelUpdates updates;
  private final Evaluator fixedTask;
  private final RoundObserver observer;
  private final ExecutorService worker;
  private final ReplayBuffer buffer;

  private long round;
  private long newPairs;
  private long lastRoundMillis;
  private Future<RoundReport> running;
  private String runningVersion;
  private volatile boolean closed;
  private boolean waitingForHeldOutLogged;

  // Counters for metrics.
  private long roundsStarted;
  private long roundsPromoted;
  private long roundsRejected;
  private long roundsFailed;
  private volatile RoundReport lastReport;

  /**
   * @param fixedTask an evaluation every candidate must also pass, or null
   * @param restored the state to continue from, or null for a fresh start
   * @param nowMillis the time now (the time trigger counts from here on a fresh start)
   */
  public ContinuousTrainer(Settings settings, ModelRegistry registry, ModelUpdates updates, Evaluator fixedTask,
      State restored, RoundObserver observer, long nowMillis) throws IOException {
    this.settings = settings;
    this.registry = registry;
    this.updates = updates;
    this.fixedTask = fixedTask;
    this.observer = observer == null ? new RoundObserver() {} : observer;
    this.worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "twinstream-trainer-round");
      t.setDaemon(true);
      return t;
    });
    if (restored == null) {
      buffer = new ReplayBuffer(settings.capacity(), settings.holdoutShare(), settings.halfLife());
      round = nextRoundAfterRegistry();
      lastRoundMillis = nowMillis;
    } else {
      buffer = ReplayBuffer.restore(restored.buffer(), settings.capacity(), settings.holdoutShare(),
          settings.halfLife());
      round = restored.round();
      newPairs = restored.newPairs();
      lastRoundMillis = restored.lastRoundMillis();
      LOG.info("Trainer restored: {} feedback pairs buffered ({} held out), next round {}{}", buffer.trainingSize(),
          buffer.heldOutSize(), version(round), restored.roundRunning() ? " (interrupted: redoing it)" : "");
      if (restored.roundRunning()) {
        start();
      }
    }
  }

  /** The first round number after every {@code PREFIX-NNNN} version in the registry. */
  private long nextRoundAfterRegistry() throws IOException {
    Pattern own = Pattern.compile(Pattern.quote(settings.versionPrefix()) + "-(\\d+)");
    long max = 0;
    for (BundleManifest m : registry.list()) {
      Matcher matcher = own.matcher(m.version());
      if (matcher.matches()) {
        max = Math.max(max, Long.parseLong(matcher.group(1)));
      }
    }
    return max + 1;
  }

  /** The version of round {@code n}. */
  public String version(long n) {
    return String.format(Locale.ROOT, "%s-%04d", settings.versionPrefix(), n);
  }

  /** Adds a piece of feedback to the buffer. */
  public ReplayBuffer.Outcome offer(Feedback feedback) {
    newPairs++;
    return buffer.offer(feedback);
  }

  /** Starts a round if none runs, the trigger is due and there is something to evaluate on; true if started. */
  public boolean maybeStart(long nowMillis) {
    if (running != null || closed || !settings.trigger().due(newPairs, lastRoundMillis, nowMillis)) {
      return false;
    }
    if (fixedTask == null && !heldOutHasAClick(nowMillis)) {
      if (!waitingForHeldOutLogged) {
        LOG.info("A round is due but no held-out feedback has a positive yet (and no trainer.eval set is "
            + "given): waiting for one");
        waitingForHeldOutLogged = true;
      }
      return false;
    }
    waitingForHeldOutLogged = false;
    newPairs = 0;
    lastRoundMillis = nowMillis;
    start();
    return true;
  }

  private long heldOutCheckedAt;
  private boolean heldOutChecked;

  /** Whether held-out feedback has a positive; rechecked at most once a second (it walks the held-out side). */
  private boolean heldOutHasAClick(long nowMillis) {
    if (heldOutChecked && nowMillis - heldOutCheckedAt < 1_000) {
      return false;
    }
    heldOutChecked = true;
    heldOutCheckedAt = nowMillis;
    return buffer.heldOut().stream().anyMatch(Feedback::positive);
  }

  private void start() {
    String version = version(round);
    List<Feedback> sample = buffer.sample(settings.sampleSize(), settings.seed() + round);
    RetrievalEvaluator heldOut = FeedbackExamples.evaluator(buffer.heldOut(), Map.of());
    Map<String, Double> facts = new LinkedHashMap<>();
    facts.put(BUFFER_TRAINING, (double) buffer.trainingSize());
    facts.put(BUFFER_HELD_OUT, (double) buffer.heldOutSize());
    facts.put(BUFFER_RECEIVED, (double) buffer.received());
    long seed = settings.seed() + round;
    roundsStarted++;
    runningVersion = version;
    LOG.info("Round {} starts: {} sampled pairs, {} held out", version, sample.size(), buffer.heldOutSize());
    running = worker.submit(() -> runRound(version, sample, heldOut, facts, seed));
  }

  /** Whether a round is running. */
  public boolean roundRunning() {
    return running != null;
  }

  /**
   * Collects a finished round, if any: updates the counters and moves to the next round number.
   *
   * @return the report, or empty while none finished (or the round failed: it is logged, counted, not redone)
   */
  public Optional<RoundReport> poll() {
    if (running == null || !running.isDone()) {
      return Optional.empty();
    }
    Future<RoundReport> done = running;
    String version = runningVersion;
    running = null;
    runningVersion = null;
    round++;
    try {
      RoundReport report = done.get();
      lastReport = report;
      if (report.promoted()) {
        roundsPromoted++;
      } else {
        roundsRejected++;
      }
      LOG.info("Round {} {}{}: {}", report.version(), report.promoted() ? "PROMOTED" : "REJECTED",
          report.recovered() ? " (recovered after a restart)" : "", report.reason());
      observer.roundFinished(report);
      return Optional.of(report);
    } catch (ExecutionException e) {
      roundsFailed++;
      LOG.error("Round {} failed; the serving model is unchanged", version, e.getCause());
      observer.roundFailed(version, e.getCause());
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** The state to checkpoint. */
  public State snapshot() {
    return new State(buffer.snapshot(), round, newPairs, lastRoundMillis, running != null);
  }

  private RoundReport runRound(String version, List<Feedback> sample, RetrievalEvaluator heldOut,
      Map<String, Double> facts, long seed) throws Exception {
    TRAINING.lockInterruptibly();
    try {
      return runRoundAlone(version, sample, heldOut, facts, seed);
    } finally {
      TRAINING.unlock();
    }
  }

  private RoundReport runRoundAlone(String version, List<Feedback> sample, RetrievalEvaluator heldOut,
      Map<String, Double> facts, long seed) throws Exception {
    checkOpen(version);
    Optional<BundleManifest> existing = published(version);
    if (existing.isPresent()) {
      return recover(existing.get());
    }
    ModelBundle serving = servingBundle();
    Map<String, Evaluator> tasks = new LinkedHashMap<>();
    if (heldOut != null) {
      tasks.put("heldout", heldOut);
    }
    if (fixedTask != null) {
      tasks.put("fixed", fixedTask);
    }
    observer.roundStarted(version);
    checkOpen(version);
    FineTuner tuner = new FineTuner(Losses.byName(settings.loss()), settings.training().withSeed(seed));
    TrainingListener cancellation = new TrainingListener() {
      @Override
      public void stepCompleted(int epoch, int step, int totalSteps, double loss, double learningRate,
          double gradNorm) {
        checkOpen(version);
      }
    };
    FineTuningRound.Outcome outcome = new FineTuningRound(tuner, settings.gate())
        .run(serving, sample, tasks, version, cancellation, facts);
    checkOpen(version);
    String reason = outcome.decision().reason();
    ModelUpdate update;
    if (outcome.candidate() == null) {
      update = updates.rejectUnpublished(version, serving.version(), outcome.metrics(), reason);
    } else {
      try {
        registry.publish(outcome.candidate());
      } catch (FileAlreadyExistsException e) {
        // Published by an earlier attempt of this round (a cancelled one that still finished): read it back.
        return recover(published(version).orElseThrow(() -> e));
      }
      checkOpen(version);
      update = outcome.decision().promote() ? updates.promote(version, reason)
          : updates.reject(version, outcome.metrics(), reason);
    }
    return new RoundReport(version, serving.version(), outcome.decision().promote(), false, reason,
        outcome.metrics(), outcome.seconds(), update);
  }

  private void checkOpen(String version) {
    if (closed) {
      throw new CancellationException("round " + version + " abandoned: the trainer is closing (it is redone "
          + "from the last checkpoint)");
    }
  }

  private Optional<BundleManifest> published(String version) throws IOException {
    return registry.list().stream().filter(m -> m.version().equals(version)).findFirst();
  }

  /** A round that finished before a restart: its outcome from the manifest; an unannounced promotion is sent. */
  private RoundReport recover(BundleManifest manifest) throws IOException, InvalidBundleException {
    String version = manifest.version();
    boolean promote = Boolean.TRUE.equals(manifest.training().get("promote"));
    String reason = String.valueOf(manifest.training().getOrDefault("gate", ""));
    ModelUpdate update = null;
    if (promote && !registry.history().contains(version)) {
      update = updates.promote(version, reason);
    }
    return new RoundReport(version, manifest.parentVersion(), promote, true, reason, manifest.metrics(), 0, update);
  }

  /** The bundle the embedding operators serve: the registry's CURRENT, else the job's initial model. */
  private ModelBundle servingBundle() throws IOException, InvalidBundleException {
    Optional<String> current = registry.current();
    if (current.isPresent()) {
      return registry.load(current.get());
    }
    if (settings.initialModel().equals("registry")) {
      throw new InvalidBundleException(InvalidBundleException.Problem.UNKNOWN_BUNDLE,
          registry.describe(ModelRegistry.CURRENT), "model=registry but the registry has no current version");
    }
    return ModelBundle.resolve(settings.initialModel());
  }

  // Metrics.

  public int bufferedTraining() {
    return buffer.trainingSize();
  }

  public int bufferedHeldOut() {
    return buffer.heldOutSize();
  }

  public long received() {
    return buffer.received();
  }

  public long roundsStarted() {
    return roundsStarted;
  }

  public long roundsPromoted() {
    return roundsPromoted;
  }

  public long roundsRejected() {
    return roundsRejected;
  }

  public long roundsFailed() {
    return roundsFailed;
  }

  /** The last finished round's report, or null. */
  public RoundReport lastReport() {
    return lastReport;
  }

  /** Stops: a running round is abandoned at its next step and publishes nothing after that. */
  @Override
  public void close() {
    if (running != null) {
      LOG.info("Trainer closing with round {} running: it stops at its next step and is redone from the last "
          + "checkpoint", runningVersion);
    }
    closed = true;
    worker.shutdownNow();
  }
}
