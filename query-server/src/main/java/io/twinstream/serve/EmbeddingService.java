package io.twinstream.serve;

import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.TokenEstimate;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.encoder.serving.ModelSwitch;
import io.twinstream.encoder.serving.ServingModel;
import io.twinstream.records.ModelUpdate;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds the texts of concurrent requests in shared encoder calls, with the version each request
 * asks for. Plain Java: {@code QueryServer} is its HTTP adapter.
 *
 * <p>Requests wait in a bounded queue (full: 429). One batcher thread takes the first, lets others
 * join it for at most {@code maxWait} or until their estimated tokens reach {@code batchTokens},
 * groups them by the encoder they need, and runs one encoder call per group (the encoder sorts a
 * call's texts by length). Between two batches, and only there, it applies model updates and swaps
 * in a model that finished loading ({@link ModelSwitch}, the embedding job's core, with dual
 * writing on): a request is never embedded by a half-loaded model, and the version the vector store
 * searches stays loaded until the store has cut over to the new one.
 *
 * <p>Versions ({@link ModelSelector}): {@code fully-served} (the default: the version the store
 * searches — the last FULLY_SERVED announcement, else the first model served, kept after a
 * promotion until one comes), {@code serving} (the newest promotion), or a version name (the
 * serving or kept one, else loaded from the registry off the batcher thread; unknown: 404).
 */
public final class EmbeddingService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddingService.class);

  private static final int PINNED = 2;

  /** What a request got: the version that embedded it, its vectors, its tokens. */
  public record Embedded(String version, List<SentenceEmbedding> vectors, int tokens) {}

  private record Job(
      List<String> texts, ModelSelector model, int tokens, CompletableFuture<Embedded> done) {}

  private final ModelSwitch models;
  private final ModelRegistry registry;
  private final ServeOptions options;
  private final EncoderOptions encoderOptions;
  private final BlockingQueue<Job> queue;
  private final ConcurrentLinkedQueue<ModelUpdate> updates = new ConcurrentLinkedQueue<>();
  private final Map<String, SentenceEncoder> pinned = new LinkedHashMap<>(4, 0.75f, true);
  private final Map<String, SentenceEncoder> loadedPins = new ConcurrentHashMap<>();
  private final Map<String, List<Job>> waitingForPin = new ConcurrentHashMap<>();
  private final ExecutorService pinLoader;
  private final Thread batcher;
  private final int maxSequenceLength;
  private volatile boolean closed;

  final AtomicLong batches = new AtomicLong();
  final AtomicLong batchedRequests = new AtomicLong();
  final AtomicLong inputs = new AtomicLong();
  final AtomicLong tokens = new AtomicLong();
  final AtomicLong rejectedFull = new AtomicLong();
  final AtomicLong encodeNanos = new AtomicLong();

  /**
   * Starts serving {@code initialModel} ({@code registry} for the registry's CURRENT version, a
   * built-in name or a bundle directory).
   *
   * @param registry where updates and pinned versions are loaded from; null for none
   */
  public EmbeddingService(ModelRegistry registry, String initialModel, ServeOptions options)
      throws InvalidBundleException {
    this.registry = registry;
    this.options = options;
    EncoderOptions eo = EncoderOptions.defaults();
    this.encoderOptions =
        options.encoderThreads() > 0 ? eo.withThreads(options.encoderThreads()) : eo;
    this.models = new ModelSwitch(registry, encoderOptions);
    models.dualWrite(true);
    models.start(null, initialModel);
    this.maxSequenceLength = models.encoder().maxSequenceLength();
    this.queue = new ArrayBlockingQueue<>(options.queueLimit());
    this.pinLoader =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "twinstream-serve-pin-loader");
              t.setDaemon(true);
              return t;
            });
    this.batcher = new Thread(this::loop, "twinstream-serve-batcher");
    batcher.setDaemon(true);
    batcher.start();
    LOG.info("Serving embeddings with {}", models.serving().version);
  }

  /** Hands a model update to the batcher, which applies it between two batches. */
  public void onUpdate(ModelUpdate update) {
    updates.add(update);
  }

  /** The newest promoted version's model. */
  public ServingModel serving() {
    return models.serving();
  }

  /** The version {@link ModelSelector#FULLY_SERVED} names now. */
  public String fullyServedVersion() {
    ServingModel store = models.storeServes();
    if (store != null) {
      return store.version;
    }
    ServingModel dual = models.dual(); // no announcement yet: the first model is the store's
    return dual != null ? dual.version : models.serving().version;
  }

  /** The version kept for the store while the serving one is backfilled, or null. */
  public String keptVersion() {
    ServingModel dual = models.dual();
    return dual == null ? null : dual.version;
  }

  /** Vector dimensions. */
  public int dimension() {
    return models.encoder().dimension();
  }

  /** Requests waiting for the encoder. */
  public int queued() {
    return queue.size();
  }

  /** Model updates refused (bundle missing, damaged, other dimension). */
  public long refusals() {
    return models.refusals();
  }

  /**
   * Embeds {@code texts} with the version {@code model} names.
   *
   * @return completes with the vectors, or exceptionally with a {@link ServeException} (404 unknown
   *     version, 429 queue full, 503 closing)
   */
  public CompletableFuture<Embedded> embed(List<String> texts, ModelSelector model) {
    CompletableFuture<Embedded> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new ServeException(503, "server_error", null, "shutting down"));
      return done;
    }
    int estimate = 0;
    for (String t : texts) {
      estimate += TokenEstimate.of(t, maxSequenceLength);
    }
    if (!queue.offer(new Job(texts, model, estimate, done))) {
      rejectedFull.incrementAndGet();
      done.completeExceptionally(
          new ServeException(
              429,
              "rate_limit_exceeded",
              null,
              "the server is at capacity: "
                  + options.queueLimit()
                  + " requests wait for the encoder (queue-limit); retry shortly"));
    }
    return done;
  }

  private void loop() {
    while (!closed) {
      Job first;
      try {
        first = queue.poll(50, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      applyUpdates();
      if (first == null) {
        continue;
      }
      List<Job> batch = new ArrayList<>();
      batch.add(first);
      int budget = first.tokens();
      long deadline = System.nanoTime() + options.maxWait().toNanos();
      while (budget < options.batchTokens()) {
        Job next = queue.poll();
        if (next == null) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            break;
          }
          try {
            next = queue.poll(left, TimeUnit.NANOSECONDS);
          } catch (InterruptedException e) {
            fail(batch, new ServeException(503, "server_error", null, "shutting down"));
            return;
          }
          if (next == null) {
            break;
          }
        }
        batch.add(next);
        budget += next.tokens();
      }
      run(batch);
    }
  }

  private void applyUpdates() {
    ModelUpdate u;
    while ((u = updates.poll()) != null) {
      models.onUpdate(u);
    }
    models.swapIfReady();
  }

  private void run(List<Job> batch) {
    Map<SentenceEncoder, List<Job>> groups = new IdentityHashMap<>();
    for (Job job : batch) {
      try {
        SentenceEncoder encoder = resolve(job);
        if (encoder != null) {
          groups.computeIfAbsent(encoder, e -> new ArrayList<>()).add(job);
        }
      } catch (ServeException e) {
        job.done().completeExceptionally(e);
      }
    }
    for (Map.Entry<SentenceEncoder, List<Job>> group : groups.entrySet()) {
      List<String> texts = new ArrayList<>();
      for (Job job : group.getValue()) {
        texts.addAll(job.texts());
      }
      List<SentenceEmbedding> vectors;
      long started = System.nanoTime();
      try {
        vectors = group.getKey().encode(texts);
      } catch (RuntimeException e) {
        LOG.error("Encoding a batch of {} texts failed", texts.size(), e);
        fail(group.getValue(), new ServeException(500, "server_error", null, e.getMessage()));
        continue;
      }
      encodeNanos.addAndGet(System.nanoTime() - started);
      batches.incrementAndGet();
      batchedRequests.addAndGet(group.getValue().size());
      inputs.addAndGet(texts.size());
      String version = group.getKey().modelVersion();
      int at = 0;
      for (Job job : group.getValue()) {
        List<SentenceEmbedding> mine = vectors.subList(at, at + job.texts().size());
        at += job.texts().size();
        int t = 0;
        for (SentenceEmbedding e : mine) {
          t += e.tokens();
        }
        tokens.addAndGet(t);
        job.done().complete(new Embedded(version, List.copyOf(mine), t));
      }
    }
  }

  private static void fail(List<Job> jobs, ServeException e) {
    for (Job job : jobs) {
      job.done().completeExceptionally(e);
    }
  }

  /** The encoder {@code job} asks for; null when it waits for a pinned version to load. */
  private SentenceEncoder resolve(Job job) {
    ModelSelector selector = job.model();
    ServingModel serving = models.serving();
    ServingModel dual = models.dual();
    String model = selector.toString();
    if (selector instanceof ModelSelector.Serving
        || (selector instanceof ModelSelector.Version && model.equals(serving.version))) {
      return models.encoder();
    }
    if (selector instanceof ModelSelector.FullyServed) {
      ServingModel store = models.storeServes();
      if (store == null) {
        // No FULLY_SERVED seen: the first model is what the store holds, kept after a promotion.
        return dual != null ? models.dualEncoder() : models.encoder();
      }
      if (store.version.equals(serving.version)) {
        return models.encoder();
      }
      if (dual != null && dual.version.equals(store.version)) {
        return models.dualEncoder();
      }
      model = store.version; // announced, not kept: load it like a pinned version
    }
    if (dual != null && model.equals(dual.version)) {
      return models.dualEncoder();
    }
    SentenceEncoder loaded = loadedPins.remove(model);
    if (loaded != null) {
      pinned.put(model, loaded);
      while (pinned.size() > PINNED) {
        String eldest = pinned.keySet().iterator().next();
        pinned.remove(eldest).close(); // on this thread: no batch uses it
      }
    }
    SentenceEncoder pin = pinned.get(model);
    if (pin != null) {
      return pin;
    }
    pin(model, job);
    return null;
  }

  /** Loads {@code version} from the registry off the batcher thread; {@code job} waits for it. */
  private void pin(String version, Job job) {
    if (registry == null || !BundleManifest.isValidVersion(version) || !registryHas(version)) {
      throw new ServeException(
          404,
          "invalid_request_error",
          "model",
          "The model '"
              + version
              + "' does not exist: ask for "
              + ModelSelector.FULLY_SERVED
              + ", "
              + ModelSelector.SERVING
              + " or a version of the registry");
    }
    List<Job> waiting = waitingForPin.computeIfAbsent(version, v -> new ArrayList<>());
    boolean first;
    synchronized (waiting) {
      first = waiting.isEmpty();
      waiting.add(job);
    }
    if (!first) {
      return;
    }
    pinLoader.execute(
        () -> {
          List<Job> jobs;
          try {
            SentenceEncoder encoder = SentenceEncoder.open(registry.load(version), encoderOptions);
            loadedPins.put(version, encoder);
            LOG.info("Loaded {} for requests that pin it", version);
          } catch (InvalidBundleException | RuntimeException e) {
            jobs = waitingForPin.remove(version);
            synchronized (jobs) {
              fail(
                  jobs,
                  new ServeException(
                      404, "invalid_request_error", "model", version + ": " + e.getMessage()));
            }
            return;
          }
          jobs = waitingForPin.remove(version);
          synchronized (jobs) {
            for (Job j : jobs) {
              if (!queue.offer(j)) {
                j.done()
                    .completeExceptionally(
                        new ServeException(429, "rate_limit_exceeded", null, "queue full"));
              }
            }
          }
        });
  }

  private boolean registryHas(String version) {
    try {
      return registry.list().stream().anyMatch(m -> m.version().equals(version));
    } catch (java.io.IOException e) {
      throw new ServeException(503, "server_error", null, "registry unreadable: " + e.getMessage());
    }
  }

  @Override
  public void close() {
    closed = true;
    batcher.interrupt();
    try {
      batcher.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pinLoader.shutdownNow();
    ServeException stopping = new ServeException(503, "server_error", null, "shutting down");
    Job j;
    while ((j = queue.poll()) != null) {
      j.done().completeExceptionally(stopping);
    }
    pinned.values().forEach(SentenceEncoder::close);
    loadedPins.values().forEach(SentenceEncoder::close);
    models.close();
  }
}
