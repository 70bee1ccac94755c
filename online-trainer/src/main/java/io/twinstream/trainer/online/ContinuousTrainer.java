package io.twinstream.trainer.online;

import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.HiddenStateStore;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.encoder.registry.ModelUpdates;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.trainer.FineTuner;
import io.twinstream.trainer.TrainingListener;
import io.twinstream.trainer.eval.Evaluator;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.eval.VectorCache;
import io.twinstream.trainer.loss.Losses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The continuous-learning loop, plain Java and single-threaded from the caller's side (a Flink
 * operator calls every method from its task thread): buffers feedback, starts a {@link
 * FineTuningRound} on a background thread when the {@link TrainingTrigger} fires, publishes the
 * candidate bundle to the registry, and, back on the caller's thread ({@link #poll()}), announces
 * PROMOTED or REJECTED through a {@link ModelUpdatePublisher}.
 *
 * <p><b>Exactly-once announcements.</b> The publisher of a Flink job is its transactional Kafka
 * sink, so an announcement becomes visible when the next checkpoint completes, and is discarded if
 * the job fails before. The trainer follows the same rhythm: a promotion moves the registry's
 * {@code CURRENT} only once the checkpoint after its announcement has completed ({@link
 * #checkpointCompleted}); the promotions announced but not yet committed are part of the {@link
 * #snapshot state}.
 *
 * <p><b>Restarts.</b> {@link #snapshot} is the whole state (buffer, round number, trigger counters,
 * whether a round was running, announced promotions). A round running at the snapshot is redone
 * after a restore, with the same version, sample and seed; a round whose version is already in the
 * registry (it finished after the snapshot) is not trained again: its outcome is read back from the
 * bundle's {@link RoundRecord} and announced unless the publisher already holds a committed update
 * for it (or, for a promotion, the registry's {@code HISTORY} has it).
 */
public final class ContinuousTrainer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ContinuousTrainer.class);

  /** Metric names of the buffer's facts recorded with each round. */
  public static final String BUFFER_TRAINING = "buffer/training";

  /** Seconds spent drawing a round's sample from the replay buffer. */
  public static final String SAMPLE_SECONDS = "round/sample-seconds";

  /**
   * Seconds from the end of the evaluations to the update's announcement being handed over
   * (publishing the bundle into the registry); in the round's report, not in the manifest.
   */
  public static final String PUBLISH_SECONDS = "round/publish-seconds";

  public static final String BUFFER_HELD_OUT = "buffer/held-out";
  public static final String BUFFER_RECEIVED = "buffer/received";

  /**
   * DJL's PyTorch engine allows one gradient collector per process, so rounds of every trainer in
   * this JVM (two jobs in one MiniCluster, or an abandoned round still finishing its step) run one
   * at a time.
   */
  private static final ReentrantLock TRAINING = new ReentrantLock();

  /** A promotion announced, and the checkpoint that took it into state (-1: none yet). */
  private static final class Announced {
    final String version;
    long checkpoint = -1;

    Announced(String version) {
      this.version = version;
    }
  }

  /**
   * A finished round: its report, and the update still to publish (null when it was published
   * already).
   */
  private record Finished(RoundReport report, ModelUpdate toPublish) {}

  private final TrainerSettings settings;
  private final ModelRegistry registry;
  private final ModelUpdates updates;
  private final ModelUpdatePublisher publisher;
  private final Evaluator fixedTask;
  private final RoundObserver observer;
  private final ExecutorService worker;
  private final ReplayBuffer buffer;
  private final List<Announced> announced = new ArrayList<>();

  private long round;
  private long newPairs;
  // the buffer's sequence when the round that made the serving version started (0: initial model),
  // and when the running round started
  private long servingSince;
  private long runningSince;
  private long lastRoundMillis;
  private Future<Finished> running;
  private String runningVersion;
  private volatile boolean closed;
  private boolean waitingForHeldOutLogged;
  private long heldOutCheckedAt;
  private boolean heldOutChecked;
  // a round that failed on I/O, to try again: tries so far, when (-1: from the next call on)
  private int failedTries;
  private boolean retryPending;
  private long retryAt = -1;

  // Counters for metrics.
  private long roundsStarted;
  private long roundsPromoted;
  private long roundsRejected;
  private long roundsFailed;
  private volatile RoundReport lastReport;

  /**
   * The serving version's evaluation vectors, kept from round to round (used by the round's worker
   * thread only); the promoted candidate's replace them.
   */
  private VectorCache servingVectors;

  /**
   * Hidden states of evaluation texts at the top of the frozen layers, kept from round to round
   * (made by the round's worker on first use; closed once the worker has stopped).
   */
  private volatile HiddenStateStore hiddenStates;

  /**
   * @param fixedTask an evaluation every candidate must also pass, or null
   * @param publisher where announcements go
   * @param restored the state to continue from, or null for a fresh start
   * @param observer hears rounds, or null
   * @param nowMillis the time now (the time trigger counts from here on a fresh start)
   * @throws IOException when the registry cannot be read, or a committed promotion cannot be made
   *     current
   */
  public ContinuousTrainer(
      TrainerSettings settings,
      ModelRegistry registry,
      Evaluator fixedTask,
      ModelUpdatePublisher publisher,
      TrainerState restored,
      RoundObserver observer,
      long nowMillis)
      throws IOException {
    this.settings = settings;
    this.registry = registry;
    this.updates = new ModelUpdates(registry);
    this.publisher = publisher;
    this.fixedTask = fixedTask;
    this.observer = observer == null ? new RoundObserver() {} : observer;
    this.worker =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "twinstream-trainer-round");
              t.setDaemon(true);
              return t;
            });
    if (restored == null) {
      buffer = new ReplayBuffer(settings.capacity(), settings.holdoutShare(), settings.halfLife());
      round = nextRoundAfterRegistry();
      lastRoundMillis = nowMillis;
    } else {
      buffer =
          ReplayBuffer.restore(
              restored.buffer(), settings.capacity(), settings.holdoutShare(), settings.halfLife());
      round = restored.round();
      newPairs = restored.newPairs();
      servingSince = restored.servingSince();
      lastRoundMillis = restored.lastRoundMillis();
      // Announced before the checkpoint we restore from, so committed with it: make them current
      // now.
      for (String version : restored.announcedPromotions()) {
        try {
          makeCurrent(version);
        } catch (IOException e) {
          // committed with the checkpoint: CURRENT moves at the next completed checkpoint
          LOG.warn(
              "Cannot make {} current in {} yet (tried again after the next checkpoint): {}",
              version,
              registry.root(),
              e.getMessage());
          Announced a = new Announced(version);
          a.checkpoint = 0;
          announced.add(a);
        }
      }
      LOG.info(
          "Trainer restored: {} feedback pairs buffered ({} held out), next round {}{}",
          buffer.trainingSize(),
          buffer.heldOutSize(),
          version(round),
          restored.roundRunning() ? " (interrupted: redoing it)" : "");
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

  /**
   * Starts a round if none runs, the trigger is due and there is something to evaluate on; true if
   * started.
   */
  public boolean maybeStart(long nowMillis) {
    if (running != null || closed) {
      return false;
    }
    if (retryPending) {
      if (retryAt < 0) {
        retryAt = nowMillis + settings.retry().delay(failedTries).toMillis();
      }
      if (nowMillis < retryAt) {
        return false;
      }
      retryPending = false;
      retryAt = -1;
      LOG.info(
          "Trying round {} again (try {} of {})",
          version(round),
          failedTries,
          settings.retry().attempts());
      start();
      return true;
    }
    if (!settings.trigger().due(newPairs, lastRoundMillis, nowMillis)) {
      return false;
    }
    if (fixedTask == null && !heldOutHasAClick(nowMillis)) {
      if (!waitingForHeldOutLogged) {
        LOG.info(
            "A round is due but no held-out feedback has a positive yet (and no fixed evaluation set is "
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

  /**
   * Whether held-out feedback has a positive; rechecked at most once a second (it walks the
   * held-out side).
   */
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
    long sampling = System.nanoTime();
    TrainerSettings.Sample drawn = settings.sampleFor(buffer.trainingSince(servingSince));
    List<Feedback> sample = buffer.sample(drawn.size(), drawn.newest(), settings.seed() + round);
    runningSince = buffer.received();
    RetrievalEvaluator heldOut = FeedbackExamples.evaluator(buffer.heldOut(), Map.of());
    Map<String, Double> facts = new LinkedHashMap<>();
    facts.put(SAMPLE_SECONDS, (System.nanoTime() - sampling) / 1e9);
    facts.put(BUFFER_TRAINING, (double) buffer.trainingSize());
    facts.put(BUFFER_HELD_OUT, (double) buffer.heldOutSize());
    facts.put(BUFFER_RECEIVED, (double) buffer.received());
    long seed = settings.seed() + round;
    // A promotion announced but not yet committed serves as soon as it is: train from it, not from
    // CURRENT.
    String parent = announced.isEmpty() ? null : announced.get(announced.size() - 1).version;
    roundsStarted++;
    runningVersion = version;
    LOG.info(
        "Round {} starts: {} sampled pairs, {} held out",
        version,
        sample.size(),
        buffer.heldOutSize());
    running = worker.submit(() -> runRound(version, parent, sample, heldOut, facts, seed));
  }

  /** Whether a round is running (or finished and not yet collected by {@link #poll()}). */
  public boolean roundRunning() {
    return running != null;
  }

  /** Waits until the running round, if any, has ended; {@link #poll()} then collects it. */
  public void awaitRound() throws InterruptedException {
    Future<Finished> r = running;
    if (r == null) {
      return;
    }
    try {
      r.get();
    } catch (ExecutionException | CancellationException e) {
      // poll() reports it
    }
  }

  /**
   * Collects a finished round, if any: announces its outcome through the publisher (on this
   * thread), updates the counters and moves to the next round number.
   *
   * @return the report, or empty while none finished (or the round failed: it is logged, counted,
   *     not redone)
   * @throws UncheckedIOException when the publisher fails; the round stays uncollected, so a
   *     restart redoes it
   */
  public Optional<RoundReport> poll() {
    if (running == null || !running.isDone()) {
      return Optional.empty();
    }
    Finished finished;
    try {
      finished = running.get();
    } catch (ExecutionException | CancellationException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      String version = runningVersion;
      roundsFailed++;
      observer.roundFailed(version, cause);
      if (onIo(cause) && failedTries < settings.retry().attempts() && !closed) {
        failedTries++;
        running = null;
        runningVersion = null;
        retryPending = true;
        retryAt = -1;
        LOG.warn(
            "Round {} failed on I/O ({}); the serving model is unchanged; tried again in {} s "
                + "(try {} of {})",
            version,
            cause.toString(),
            settings.retry().delay(failedTries).toSeconds(),
            failedTries,
            settings.retry().attempts());
        return Optional.empty();
      }
      collected();
      LOG.error("Round {} failed; the serving model is unchanged", version, cause);
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
    ModelUpdate update = finished.toPublish();
    if (update != null) {
      try {
        publisher.publish(update);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot announce round " + update.getVersion() + ": " + e.getMessage(), e);
      }
      if (update.getStatus() == ModelStatus.PROMOTED) {
        announced.add(new Announced(update.getVersion()));
      }
    }
    collected();
    RoundReport report = finished.report();
    lastReport = report;
    if (report.promoted()) {
      servingSince = runningSince;
      roundsPromoted++;
    } else {
      roundsRejected++;
    }
    LOG.info(
        "Round {} {}{}: {}",
        report.version(),
        report.promoted() ? "PROMOTED" : "REJECTED",
        report.recovered()
            ? " (recovered after a restart" + (update == null ? ", announced before)" : ")")
            : "",
        report.reason());
    observer.roundFinished(report);
    return Optional.of(report);
  }

  private void collected() {
    running = null;
    runningVersion = null;
    failedTries = 0;
    round++;
  }

  /**
   * Whether {@code failure} came from reading or writing files (the registry, a store) and so may
   * pass: an {@link IOException} anywhere in its causes, or a bundle that could not be read.
   */
  static boolean onIo(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof InvalidBundleException b) {
        return b.problem() == InvalidBundleException.Problem.UNREADABLE
            || b.problem() == InvalidBundleException.Problem.MISSING_FILE;
      }
      if (t instanceof IOException || t instanceof UncheckedIOException) {
        return true;
      }
    }
    return false;
  }

  /** Whether a round that failed on I/O waits to be tried again. */
  public boolean retryPending() {
    return retryPending;
  }

  /** The state to checkpoint as checkpoint {@code checkpointId}. */
  public TrainerState snapshot(long checkpointId) {
    List<String> promotions = new ArrayList<>();
    for (Announced a : announced) {
      if (a.checkpoint < 0) {
        a.checkpoint = checkpointId;
      }
      promotions.add(a.version);
    }
    return new TrainerState(
        buffer.snapshot(),
        round,
        newPairs,
        lastRoundMillis,
        running != null || retryPending,
        promotions,
        servingSince);
  }

  /**
   * Checkpoint {@code checkpointId} completed: the promotions announced before it are committed, so
   * the registry's {@code CURRENT} moves to them. A move that fails is logged and retried at the
   * next completion.
   */
  public void checkpointCompleted(long checkpointId) {
    for (Iterator<Announced> it = announced.iterator(); it.hasNext(); ) {
      Announced a = it.next();
      if (a.checkpoint < 0 || a.checkpoint > checkpointId) {
        break;
      }
      try {
        makeCurrent(a.version);
        it.remove();
      } catch (IOException e) {
        LOG.warn(
            "Cannot make {} current in {} yet (retried after the next checkpoint): {}",
            a.version,
            registry.root(),
            e.getMessage());
        break;
      }
    }
  }

  /**
   * Moves {@code CURRENT} to an announced, committed promotion, unless {@code HISTORY} shows that
   * was done.
   */
  private void makeCurrent(String version) throws IOException {
    if (registry.history().contains(version)) {
      return;
    }
    try {
      registry.setCurrent(version);
    } catch (InvalidBundleException e) {
      throw new IOException(
          "promoted version " + version + " no longer verifies: " + e.getMessage(), e);
    }
    LOG.info("{} is CURRENT in {}", version, registry.root());
    observer.madeCurrent(version);
  }

  private Finished runRound(
      String version,
      String parent,
      List<Feedback> sample,
      RetrievalEvaluator heldOut,
      Map<String, Double> facts,
      long seed)
      throws Exception {
    TRAINING.lockInterruptibly();
    try {
      return runRoundAlone(version, parent, sample, heldOut, facts, seed);
    } finally {
      TRAINING.unlock();
    }
  }

  private Finished runRoundAlone(
      String version,
      String parent,
      List<Feedback> sample,
      RetrievalEvaluator heldOut,
      Map<String, Double> facts,
      long seed)
      throws Exception {
    checkOpen(version);
    Optional<BundleManifest> existing = published(version);
    if (existing.isPresent()) {
      return recover(existing.get());
    }
    ModelBundle serving = parent != null ? registry.load(parent) : servingBundle();
    Map<String, Evaluator> tasks = new LinkedHashMap<>();
    if (heldOut != null) {
      tasks.put("heldout", heldOut);
    }
    if (fixedTask != null) {
      tasks.put("fixed", fixedTask);
    }
    observer.roundStarted(version);
    checkOpen(version);
    FineTuner tuner =
        new FineTuner(Losses.byName(settings.loss()), settings.training().withSeed(seed));
    TrainingListener cancellation =
        new TrainingListener() {
          @Override
          public void stepCompleted(
              int epoch,
              int step,
              int totalSteps,
              double loss,
              double learningRate,
              double gradNorm) {
            checkOpen(version);
          }
        };
    FineTuningRound.Outcome outcome =
        new FineTuningRound(tuner, settings.gate(), settings.trainerId(), settings.negativeGuard())
            .withHiddenStates(hiddenStates())
            .withBridge(settings.bridgeMethod(), settings.bridgeTexts())
            .withMode(settings.mode(), settings.adapter())
            .run(serving, sample, tasks, version, cancellation, facts, vectorsOf(serving));
    checkOpen(version);
    long publishing = System.nanoTime();
    String reason = outcome.decision().reason();
    ModelUpdate update;
    if (outcome.candidate() == null) {
      update = updates.rejectedUnpublished(version, serving.version(), outcome.metrics(), reason);
    } else {
      try {
        registry.publish(outcome.candidate());
      } catch (FileAlreadyExistsException e) {
        // Published by an earlier attempt of this round (a cancelled one that still finished): read
        // it back.
        return recover(published(version).orElseThrow(() -> e));
      }
      checkOpen(version);
      update =
          outcome.decision().promote()
              ? updates.promoted(version, reason)
              : updates.rejected(version, outcome.metrics(), reason);
    }
    LOG.info(
        "Round {}: trained in {} s, evaluated in {} s ({} texts embedded{}), the whole round {} s;"
            + " published in {} s",
        version,
        String.format(
            Locale.ROOT,
            "%.1f",
            outcome.metrics().getOrDefault(FineTuningRound.TRAIN_SECONDS, 0.0)),
        String.format(
            Locale.ROOT,
            "%.1f",
            outcome.metrics().getOrDefault(FineTuningRound.EVALUATE_SECONDS, 0.0)),
        String.format(
            Locale.ROOT,
            "%.0f",
            outcome.metrics().getOrDefault(FineTuningRound.TEXTS_EMBEDDED, 0.0)),
        outcome.metrics().containsKey(FineTuningRound.LOWER_COMPUTED)
            ? String.format(
                Locale.ROOT,
                ", frozen layers run for %.0f",
                outcome.metrics().get(FineTuningRound.LOWER_COMPUTED))
            : "",
        String.format(Locale.ROOT, "%.1f", outcome.seconds()),
        String.format(Locale.ROOT, "%.1f", (System.nanoTime() - publishing) / 1e9));
    if (outcome.decision().promote() && outcome.candidateVectors() != null) {
      servingVectors = outcome.candidateVectors();
    }
    Map<String, Double> metrics = new LinkedHashMap<>(outcome.metrics());
    metrics.put(PUBLISH_SECONDS, (System.nanoTime() - publishing) / 1e9);
    return new Finished(
        new RoundReport(
            version,
            serving.version(),
            outcome.decision().promote(),
            false,
            reason,
            metrics,
            outcome.seconds(),
            update,
            outcome.decision()),
        update);
  }

  /**
   * The kept vectors of {@code serving}'s version, or a new, empty cache when none are kept for it
   * (the first round, a restart, a version promoted by someone else).
   */
  private VectorCache vectorsOf(ModelBundle serving) {
    if (servingVectors == null || !servingVectors.version().equals(serving.version())) {
      servingVectors = new VectorCache(serving.version(), settings.vectorCacheSize());
    }
    return servingVectors;
  }

  /** The store of hidden states, made on first use; null when none are kept. */
  private HiddenStateStore hiddenStates() {
    if (hiddenStates == null
        && settings.training().frozenLayers() > 0
        && settings.hiddenStateCacheSize() > 0) {
      hiddenStates =
          HiddenStateStore.create(
              Path.of(System.getProperty("java.io.tmpdir")), settings.hiddenStateCacheSize());
    }
    return hiddenStates;
  }

  private void checkOpen(String version) {
    if (closed) {
      throw new CancellationException(
          "round "
              + version
              + " abandoned: the trainer is closing (it is redone "
              + "from the last checkpoint)");
    }
  }

  private Optional<BundleManifest> published(String version) throws IOException {
    return registry.list().stream().filter(m -> m.version().equals(version)).findFirst();
  }

  /**
   * A round that finished before a restart: its outcome from the manifest, announced unless it was
   * already.
   */
  private Finished recover(BundleManifest manifest) throws IOException, InvalidBundleException {
    String version = manifest.version();
    RoundRecord round =
        RoundRecord.of(manifest)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        version
                            + " in "
                            + registry.root()
                            + " was not made by a trainer round (its manifest records no gate decision): choose "
                            + "another trainer.version-prefix or remove it"));
    if (!round.trainer().isEmpty() && !round.trainer().equals(settings.trainerId())) {
      throw new IllegalStateException(
          version
              + " in "
              + registry.root()
              + " was made by trainer '"
              + round.trainer()
              + "', not by this one ('"
              + settings.trainerId()
              + "'): two trainers share the version prefix '"
              + settings.versionPrefix()
              + "'; give each its own trainer.version-prefix (this round is not taken over)");
    }
    boolean announcedBefore =
        publisher.published(version) || (round.promote() && registry.history().contains(version));
    ModelUpdate update = null;
    if (!announcedBefore) {
      update =
          round.promote()
              ? updates.promoted(version, round.gate())
              : updates.rejected(version, manifest.metrics(), round.gate());
    }
    return new Finished(
        new RoundReport(
            version,
            manifest.parentVersion(),
            round.promote(),
            true,
            round.gate(),
            manifest.metrics(),
            0,
            update,
            null),
        update);
  }

  /**
   * The bundle the embedding operators serve: the registry's CURRENT, else the job's initial model.
   */
  private ModelBundle servingBundle() throws IOException, InvalidBundleException {
    Optional<String> current = registry.current();
    if (current.isPresent()) {
      return registry.load(current.get());
    }
    if (settings.initialModel().equals("registry")) {
      throw new InvalidBundleException(
          InvalidBundleException.Problem.UNKNOWN_BUNDLE,
          registry.describe(ModelRegistry.CURRENT),
          "model=registry but the registry has no current version");
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
      LOG.info(
          "Trainer closing with round {} running: it stops at its next step and is redone from the last "
              + "checkpoint",
          runningVersion);
    }
    closed = true;
    worker.shutdownNow();
    HiddenStateStore store = hiddenStates;
    if (store != null && (running == null || running.isDone())) {
      store.close();
    } else if (store != null) {
      // A round still running may be reading the store: it goes once the worker has stopped.
      Thread cleanup =
          new Thread(
              () -> {
                try {
                  worker.awaitTermination(1, TimeUnit.HOURS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } finally {
                  store.close();
                }
              },
              "twinstream-trainer-cleanup");
      cleanup.setDaemon(true);
      cleanup.start();
    }
  }
}
