package io.twinstream.encoder.serving;

import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.ServingCheck;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model an embedding instance serves, and its hot swap. Plain Java; the Flink operator calls
 * {@link #onUpdate} for each {@code ModelUpdate} and {@link #swapIfReady()} between two batches.
 *
 * <ul>
 *   <li>A PROMOTED or ROLLED_BACK update newer than the last one applied starts loading the named
 *       bundle from the registry on a background thread: checksums verified, manifest SHA-256
 *       compared with the event's, dimension compared with the serving model's, session opened.
 *       Embedding goes on meanwhile.
 *   <li>{@link #swapIfReady()} switches to the loaded model and closes the old one; it is called
 *       only between batches, so every batch is embedded by exactly one version.
 *   <li>Older (replayed) updates never take the version back; REJECTED updates never serve.
 *   <li>A bundle outside the registry, that fails to load or verify, or has another dimension is
 *       refused: the old model keeps serving, the refusal is logged and counted ({@link
 *       #refusals()}).
 *   <li>The newest update that loaded and verified wins: a load that finishes after a newer one
 *       succeeded is discarded, and a refused update changes nothing, not even which older updates
 *       are still accepted.
 *   <li>With {@linkplain #dualWrite dual writing} on, the version a vector store still searches
 *       while a newer one is backfilled keeps an encoder of its own ({@link #dualEncoder()}): a
 *       swap keeps the old model instead of closing it when the store serves it (or when no
 *       FULLY_SERVED announcement was seen yet), and a FULLY_SERVED update closes it once the store
 *       has cut over. A FULLY_SERVED version that is neither serving nor kept (a job started after
 *       the promotion) is loaded for the purpose.
 * </ul>
 */
public final class ModelSwitch implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ModelSwitch.class);

  private final ModelRegistry registry;
  private final EncoderOptions options;
  private final ExecutorService loader;
  private final ExecutorService closer;
  private final Backoff unreachable;
  private final AtomicReference<Loaded> ready = new AtomicReference<>();
  private final AtomicLong refusals = new AtomicLong();
  private final AtomicLong swaps = new AtomicLong();
  private volatile Future<?> lastLoad = CompletableFuture.completedFuture(null);

  private volatile SentenceEncoder encoder;
  private volatile ServingModel serving;
  private volatile boolean closed;

  private boolean dualWrite;
  private volatile SentenceEncoder dualEncoder;
  private volatile ServingModel dual;

  /** The last FULLY_SERVED announcement seen: the version the vector store searches. */
  private volatile ServingModel storeServes;

  /**
   * Creation time of the newest update that took effect: it serves, or its model loaded and waits
   * for the next batch boundary. Only an update that loads and verifies moves it.
   */
  private final AtomicLong appliedAt = new AtomicLong();

  /**
   * The newest update accepted for loading that has neither swapped in nor been refused yet: a
   * checkpoint must keep it, since the update itself will not be read again after a restore.
   */
  private final AtomicReference<ServingModel> pending = new AtomicReference<>();

  private record Loaded(long at, SentenceEncoder encoder, ServingModel model) {}

  /**
   * @param registry where updates may point; null to refuse every update
   * @param options encoder options for every model served
   */
  public ModelSwitch(ModelRegistry registry, EncoderOptions options) {
    this(registry, options, Backoff.DEFAULT);
  }

  /**
   * @param registry where updates may point; null to refuse every update
   * @param options encoder options for every model served
   * @param unreachable how loads are retried while the bundle's files cannot be read (a registry
   *     briefly unavailable); a bundle that reads but does not verify is refused at once
   */
  public ModelSwitch(ModelRegistry registry, EncoderOptions options, Backoff unreachable) {
    this.registry = registry;
    this.options = options;
    this.unreachable = unreachable;
    this.closer =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "twinstream-model-closer");
              t.setDaemon(true);
              return t;
            });
    this.loader =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "twinstream-model-loader");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts serving synchronously: the restored model if given and loadable, else {@code fallback}
   * ({@code default}, {@code default-int8}, a bundle directory, {@code registry} for the registry's
   * CURRENT version, or a version URI of the registry).
   *
   * @throws InvalidBundleException if neither can be served
   */
  public void start(ServingModel restored, String fallback) throws InvalidBundleException {
    if (restored != null) {
      try {
        ModelBundle bundle = loadVerified(restored.location, restored.sha256, false);
        serve(SentenceEncoder.open(bundle, options), restored);
        appliedAt.set(restored.updatedAt);
        LOG.info("Serving {} restored from the checkpoint", restored.version);
        return;
      } catch (InvalidBundleException | RuntimeException e) {
        refusals.incrementAndGet();
        LOG.error(
            "Cannot serve the checkpointed model {}: {}; falling back to '{}'",
            restored,
            e.getMessage(),
            fallback);
      }
    }
    ModelBundle bundle;
    String location;
    if ("registry".equals(fallback)) {
      if (registry == null) {
        throw new InvalidBundleException(
            InvalidBundleException.Problem.UNKNOWN_BUNDLE,
            "registry",
            "model 'registry' needs model.registry to be set");
      }
      String current;
      try {
        current =
            registry
                .current()
                .orElseThrow(
                    () ->
                        new InvalidBundleException(
                            InvalidBundleException.Problem.UNKNOWN_BUNDLE,
                            registry.describe(ModelRegistry.CURRENT),
                            "the registry has no current version"));
      } catch (IOException e) {
        throw new InvalidBundleException(
            InvalidBundleException.Problem.UNREADABLE,
            registry.describe(ModelRegistry.CURRENT),
            e.getMessage(),
            e);
      }
      bundle = registry.load(current);
      location = registry.uri(current).toString();
      // A fresh job reads the updates topic from its beginning: the promotions before CURRENT was
      // set are history, and applying them again would embed with a replaced version until the
      // latest one is read (seen after a JobManager loss: documents of the first seconds were
      // embedded by a retired version and never by the served one).
      try {
        registry
            .currentSince()
            .ifPresent(
                since -> {
                  appliedAt.accumulateAndGet(since.toEpochMilli(), Math::max);
                  LOG.info(
                      "Serving {}, current since {}: older updates are history", current, since);
                });
      } catch (IOException e) {
        LOG.warn("Cannot read when {} became current: older updates apply again", current, e);
      }
    } else if (registry != null && isUri(fallback)) {
      bundle = loadVerified(fallback, "", true); // a version URI of the registry
      location = fallback;
    } else {
      bundle = ModelBundle.resolve(fallback);
      location = bundle.location();
    }
    serve(
        SentenceEncoder.open(bundle, options), new ServingModel(bundle.version(), location, "", 0));
  }

  private void serve(SentenceEncoder next, ServingModel model) {
    SentenceEncoder old = encoder;
    ServingModel oldModel = serving;
    encoder = next;
    serving = model;
    if (dual != null && dual.version.equals(model.version)) {
      dropDual("it serves again"); // a rollback to the version the store searches
    }
    if (old != null
        && dualWrite
        && dual == null
        && !oldModel.version.equals(model.version)
        && (storeServes == null || storeServes.version.equals(oldModel.version))) {
      dualEncoder = old;
      dual = oldModel;
      LOG.info(
          "Dual writing: {} keeps embedding next to {} until {} is fully served",
          oldModel.version,
          model.version,
          model.version);
      return;
    }
    close(old);
  }

  private void close(SentenceEncoder old) {
    if (old != null) {
      // No batch uses it any more (batches run on the operator's thread, which is here): free its
      // native
      // memory off that thread, so that the next batch does not wait for it.
      try {
        closer.execute(old::close);
      } catch (RejectedExecutionException e) {
        old.close();
      }
    }
  }

  private void dropDual(String why) {
    SentenceEncoder old = dualEncoder;
    if (old != null) {
      LOG.info("Dual writing of {} stops: {}", dual.version, why);
    }
    dualEncoder = null;
    dual = null;
    close(old);
  }

  /**
   * Turns dual writing on or off (off by default): whether a swap keeps the model the vector store
   * still searches, for {@link #dualEncoder()}. Call before {@link #start}.
   */
  public void dualWrite(boolean on) {
    this.dualWrite = on;
  }

  /**
   * The encoder of the version the vector store still searches while the serving one is backfilled,
   * or null when there is none to write; valid until the next {@link #swapIfReady()} or {@link
   * #onUpdate} on the same thread.
   */
  public SentenceEncoder dualEncoder() {
    return dualEncoder;
  }

  /** The model of {@link #dualEncoder()}, or null. */
  public ServingModel dual() {
    return dual;
  }

  /** The version of the last FULLY_SERVED announcement seen (its time in updatedAt), or null. */
  public ServingModel storeServes() {
    return storeServes;
  }

  /**
   * Restores dual writing after a restart, as it was at the checkpoint (after {@link #start}): what
   * the store served, and the model kept for it, loaded again. A model that cannot load is logged
   * and counted as a refusal; embedding goes on with the serving model only.
   */
  public void resumeDual(ServingModel restoredDual, ServingModel restoredStoreServes) {
    storeServes = restoredStoreServes;
    if (!dualWrite || restoredDual == null || restoredDual.version.equals(serving.version)) {
      return;
    }
    openDual(restoredDual);
  }

  private void openDual(ServingModel model) {
    try {
      ModelBundle bundle = loadVerified(model.location, model.sha256, false);
      SentenceEncoder next = SentenceEncoder.open(bundle, options);
      if (next.dimension() != encoder.dimension()) {
        next.close();
        throw new InvalidBundleException(
            InvalidBundleException.Problem.INVALID_MODEL,
            model.location,
            "dimension differs from the serving model's");
      }
      dualEncoder = next;
      dual = model;
      LOG.info("Dual writing: {} embeds next to {}", model.version, serving.version);
    } catch (InvalidBundleException | RuntimeException e) {
      refusals.incrementAndGet();
      LOG.error(
          "Cannot dual-write {} ({}): {}; only {} is written",
          model.version,
          model.location,
          e.getMessage(),
          serving.version);
    }
  }

  /**
   * The encoder of the serving model; valid until the next {@link #swapIfReady()} on the same
   * thread.
   */
  public SentenceEncoder encoder() {
    return encoder;
  }

  /** The serving model. */
  public ServingModel serving() {
    return serving;
  }

  /**
   * The newest update still loading or waiting to swap in, or null: what a checkpoint keeps next to
   * {@link #serving()}, for {@link #resume} after a restore.
   */
  public ServingModel pending() {
    return pending.get();
  }

  /**
   * Loads again an update that was {@link #pending()} when a checkpoint was taken, as if it had
   * just arrived (after {@link #start}); an update no newer than the serving one is ignored.
   */
  public void resume(ServingModel update) {
    if (update == null) {
      return;
    }
    LOG.info("Resuming the load of {} pending at the checkpoint", update);
    accept(ModelStatus.PROMOTED, update.version, update.location, update.sha256, update.updatedAt);
  }

  /** Updates refused so far. */
  public long refusals() {
    return refusals.get();
  }

  /** Swaps so far. */
  public long swaps() {
    return swaps.get();
  }

  /** Handles one model update (called on the operator's thread). */
  public void onUpdate(ModelUpdate update) {
    ModelStatus status = update.getStatus();
    if (status == ModelStatus.FULLY_SERVED) {
      fullyServed(update);
      return;
    }
    if (status != ModelStatus.PROMOTED && status != ModelStatus.ROLLED_BACK) {
      LOG.info("Ignoring {} update of {}", status, update.getVersion());
      return;
    }
    accept(
        status,
        update.getVersion(),
        update.getUri(),
        update.getSha256(),
        update.getCreatedAt().toEpochMilli());
  }

  private void fullyServed(ModelUpdate update) {
    long at = update.getCreatedAt().toEpochMilli();
    if (storeServes != null && at <= storeServes.updatedAt) {
      return; // replayed
    }
    String version = update.getVersion();
    storeServes = new ServingModel(version, update.getUri(), update.getSha256(), at);
    LOG.info("The vector store serves {} (fully backfilled)", version);
    if (dual != null && !dual.version.equals(version)) {
      dropDual(version + " is fully served");
    }
    if (dualWrite && dual == null && !version.equals(serving.version)) {
      openDual(storeServes); // a job started after the promotion, or a store cut back
    }
  }

  private void accept(ModelStatus status, String version, String uri, String sha, long at) {
    if (at <= appliedAt.get()) {
      LOG.info(
          "Ignoring {} of {} from {}: a newer update took effect already", status, version, at);
      return;
    }
    if (version.equals(serving.version)) {
      // Already serving it: it takes effect now, and a model still waiting to swap in is stale.
      appliedAt.accumulateAndGet(at, Math::max);
      pending.updateAndGet(p -> p != null && p.updatedAt <= at ? null : p);
      return;
    }
    ServingModel next = new ServingModel(version, uri, sha, at);
    pending.accumulateAndGet(next, (p, n) -> p == null || n.updatedAt >= p.updatedAt ? n : p);
    lastLoad = loader.submit(() -> load(version, uri, sha, at));
  }

  /** The update of {@code at} is no longer pending (refused, discarded or swapped in). */
  private void settled(long at) {
    pending.updateAndGet(p -> p != null && p.updatedAt <= at ? null : p);
  }

  private void load(String version, String uri, String sha256, long at) {
    long started = System.nanoTime();
    SentenceEncoder next = null;
    try {
      ModelBundle bundle = loadPatiently(version, uri, sha256, at);
      if (!bundle.version().equals(version)) {
        throw new InvalidBundleException(
            InvalidBundleException.Problem.MALFORMED_MANIFEST,
            uri,
            "the bundle's version is " + bundle.version() + ", the update says " + version);
      }
      int dimension = encoder.dimension();
      if (bundle.manifest().dimension() != dimension) {
        throw new InvalidBundleException(
            InvalidBundleException.Problem.INVALID_MODEL,
            uri,
            "dimension "
                + bundle.manifest().dimension()
                + " differs from the serving model's "
                + dimension
                + ": vectors of the two could not share a topic");
      }
      next = SentenceEncoder.open(bundle, options);
      // Texts up to the maximum length must come out finite, of the right dimension and length; the
      // first runs of a fresh session are also several times slower than later ones, so this pays
      // for them here, one text at a time on this thread only, not in the first batches.
      ServingCheck.check(next, uri);
    } catch (InvalidBundleException | RuntimeException e) {
      if (next != null) {
        next.close();
      }
      refusals.incrementAndGet();
      settled(at);
      LOG.warn(
          "Refused model update to {} ({}): {}; {} keeps serving",
          version,
          uri,
          e.getMessage(),
          serving.version);
      return;
    }
    if (closed) {
      next.close(); // closing: the update stays pending, for the checkpoint
      return;
    }
    if (appliedAt.getAndAccumulate(at, Math::max) >= at) {
      next.close(); // a newer update took effect while this one loaded
      settled(at);
      return;
    }
    Loaded previous =
        ready.getAndSet(new Loaded(at, next, new ServingModel(version, uri, sha256, at)));
    if (previous != null) {
      previous.encoder().close();
    }
    LOG.info(
        "Loaded {} in {} ms; it serves from the next batch",
        version,
        (System.nanoTime() - started) / 1_000_000);
  }

  /**
   * {@link #loadVerified} from an update, tried again with {@link #unreachable}'s backoff while the
   * files cannot be read, as long as no newer update took effect meanwhile and the switch is open.
   */
  private ModelBundle loadPatiently(String version, String uri, String sha256, long at)
      throws InvalidBundleException {
    for (int attempt = 1; ; attempt++) {
      try {
        return loadVerified(uri, sha256, true);
      } catch (InvalidBundleException e) {
        boolean mayPass =
            e.problem() == InvalidBundleException.Problem.UNREADABLE
                || e.problem() == InvalidBundleException.Problem.MISSING_FILE;
        if (!mayPass || attempt >= unreachable.attempts() || closed || appliedAt.get() >= at) {
          throw e;
        }
        Duration wait = unreachable.after(attempt);
        LOG.warn(
            "Cannot read {} ({}), try {} of {}: {}; trying again in {} ms",
            version,
            uri,
            attempt,
            unreachable.attempts(),
            e.getMessage(),
            wait.toMillis());
        try {
          unreachable.waiter().await(wait);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /**
   * Loads what {@code location} names: a built-in bundle, a version of the registry (by its URI),
   * or, for a model the job was configured with ({@code fromUpdate} false), a bundle directory.
   */
  private ModelBundle loadVerified(String location, String sha256, boolean fromUpdate)
      throws InvalidBundleException {
    ModelBundle bundle;
    if (location.startsWith("builtin:")) {
      bundle = ModelBundle.builtin(location.substring("builtin:".length()));
    } else if (isUri(location)) {
      if (registry == null) {
        throw new InvalidBundleException(
            InvalidBundleException.Problem.UNKNOWN_BUNDLE,
            location,
            "no model.registry is configured, so no bundle is accepted from an update");
      }
      String version;
      try {
        version = registry.versionOf(URI.create(location));
      } catch (IllegalArgumentException e) {
        throw new InvalidBundleException(
            InvalidBundleException.Problem.UNKNOWN_BUNDLE, location, e.getMessage(), e);
      }
      bundle = registry.load(version);
      if (sha256 != null && !sha256.isEmpty()) {
        try {
          String actual = registry.manifestSha256(version);
          if (!actual.equals(sha256)) {
            throw new InvalidBundleException(
                InvalidBundleException.Problem.CHECKSUM_MISMATCH,
                location + "/manifest.json",
                "SHA-256 " + actual + " differs from the update's " + sha256);
          }
        } catch (IOException e) {
          throw new InvalidBundleException(
              InvalidBundleException.Problem.UNREADABLE, location, e.getMessage(), e);
        }
      }
    } else if (fromUpdate) {
      throw new InvalidBundleException(
          InvalidBundleException.Problem.UNKNOWN_BUNDLE,
          location,
          "an update may only name a built-in bundle or a version URI of the registry");
    } else {
      bundle = ModelBundle.resolve(location);
    }
    return bundle;
  }

  /**
   * Waits until the most recent load has finished (loaded or refused); for tests and orderly
   * shutdown.
   */
  public void awaitLoads(Duration timeout) throws Exception {
    lastLoad.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Switches to a model that finished loading, if any; call only between batches.
   *
   * @return true when the serving model changed
   */
  public boolean swapIfReady() {
    Loaded next = ready.getAndSet(null);
    if (next == null) {
      return false;
    }
    if (next.at() < appliedAt.get()) {
      next.encoder().close(); // a newer update took effect while it waited
      settled(next.at());
      return false;
    }
    String from = serving.version;
    serve(next.encoder(), next.model());
    settled(next.at());
    swaps.incrementAndGet();
    LOG.info("Swapped model {} -> {}", from, next.model().version);
    return true;
  }

  /** Whether {@code location} is a URI with a scheme (a registry version), not a plain path. */
  private static boolean isUri(String location) {
    try {
      String scheme = URI.create(location).getScheme();
      return scheme != null && scheme.length() > 1; // "C:" is a drive, not a scheme
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  @Override
  public void close() {
    closed = true;
    loader.shutdownNow();
    try {
      // A load may be inside ONNX Runtime's session creation, which an interrupt does not stop: the
      // process must not free what that thread still uses (a crash seen at exit). Wait for it.
      if (!loader.awaitTermination(2, TimeUnit.MINUTES)) {
        LOG.warn("A model load still runs after 2 minutes; closing without it");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Loaded pending = ready.getAndSet(null);
    if (pending != null) {
      pending.encoder().close();
    }
    if (encoder != null) {
      encoder.close();
    }
    if (dualEncoder != null) {
      dualEncoder.close();
    }
    closer.shutdown();
    try {
      if (!closer.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("Old model sessions still closing after 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
