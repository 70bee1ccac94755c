package io.twinstream.encoder;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.twinstream.encoder.InvalidBundleException.Problem;
import io.twinstream.encoder.TextTokenizer.Tokenized;
import io.twinstream.encoder.onnx.UnsupportedGraphException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds sentences with one model bundle: tokenize (Hugging Face tokenizer) → ONNX Runtime →
 * pooling → normalisation, a batch at a time.
 *
 * <p>{@link #encode(List)} sorts the texts by token count and cuts them into batches of similar
 * length, so that little compute goes into padding, runs the batches (several at once when so
 * configured), and returns the results in input order. A text's vector does not depend on the batch
 * it lands in. Texts longer than the model's maximum sequence length are truncated, never silently:
 * each result says so and carries the full token count.
 *
 * <p>The model's input names are read from the ONNX graph ({@code input_ids}, {@code
 * attention_mask} and, when the model has it, {@code token_type_ids}). Instances are thread-safe.
 * Close them to release the native session and tokenizer.
 */
public final class SentenceEncoder implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SentenceEncoder.class);
  private static final String INPUT_IDS = "input_ids";
  private static final String ATTENTION_MASK = "attention_mask";
  private static final String TOKEN_TYPE_IDS = "token_type_ids";
  private static final List<String> TOKEN_OUTPUTS =
      List.of("last_hidden_state", "token_embeddings");
  private static final List<String> POOLED_OUTPUTS = List.of("sentence_embedding");
  private static final AtomicInteger POOL_IDS = new AtomicInteger();
  private static final int MIN_TEXTS_PER_SLICE = 64;

  private final BundleManifest manifest;
  private final EncoderOptions options;
  private final TextTokenizer tokenizer;
  private final OrtEnvironment env;
  private final OrtSession session;
  private final Map<String, OnnxJavaType> inputs;
  private final String output;
  private final boolean outputIsPooled;
  private final ExecutorService lanes;
  private volatile boolean closed;

  /**
   * Encodes hold it shared, {@link #close()} exclusively: the native session is never freed under a
   * running batch (a job cancelled mid-batch would otherwise crash the JVM in ONNX Runtime).
   */
  private final ReentrantReadWriteLock inUse = new ReentrantReadWriteLock();

  private SentenceEncoder(
      BundleManifest manifest,
      EncoderOptions options,
      TextTokenizer tokenizer,
      OrtEnvironment env,
      OrtSession session,
      Map<String, OnnxJavaType> inputs,
      String output,
      boolean outputIsPooled,
      ExecutorService lanes) {
    this.manifest = manifest;
    this.options = options;
    this.tokenizer = tokenizer;
    this.env = env;
    this.session = session;
    this.inputs = inputs;
    this.output = output;
    this.outputIsPooled = outputIsPooled;
    this.lanes = lanes;
  }

  /** Opens an encoder on {@code bundle} with {@link EncoderOptions#defaults()}. */
  public static SentenceEncoder open(ModelBundle bundle) throws InvalidBundleException {
    return open(bundle, EncoderOptions.defaults());
  }

  /**
   * Opens an encoder on {@code bundle}: loads the tokenizer and the ONNX session, checks that the
   * model's inputs are ones it can feed, and embeds a probe text to check the vector dimension
   * against the manifest.
   *
   * @throws InvalidBundleException ({@link Problem#INVALID_MODEL}) when the model or tokenizer
   *     cannot be loaded or does not fit the manifest; native resources created so far are released
   */
  public static SentenceEncoder open(ModelBundle bundle, EncoderOptions options)
      throws InvalidBundleException {
    Objects.requireNonNull(bundle, "bundle");
    Objects.requireNonNull(options, "options");
    BundleManifest manifest = bundle.manifest();
    String modelLocation = bundle.location() + "/" + BundleManifest.MODEL_FILE;
    int maxLength =
        options.maxSequenceLength() > 0
            ? options.maxSequenceLength()
            : manifest.maxSequenceLength();
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      TextTokenizer tokenizer =
          new TextTokenizer(
              bundle.tokenizerBytes(),
              maxLength,
              bundle.location() + "/" + BundleManifest.TOKENIZER_FILE);
      opened.add(tokenizer);
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions();
      opened.add(sessionOptions);
      int intraOp = Math.max(1, options.threads() / options.concurrentBatches());
      OrtSession session;
      ModelGraphs.ServingGraph graph;
      try {
        sessionOptions.setIntraOpNumThreads(intraOp);
        sessionOptions.setInterOpNumThreads(1);
        sessionOptions.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        sessionOptions.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        // Spinning threads steal the cores that other batches (and the JVM) need on small machines.
        sessionOptions.addConfigEntry("session.intra_op.allow_spinning", "0");
        graph = ModelGraphs.servingGraph(bundle, options);
        if (graph.maxPositions() > 0 && maxLength > graph.maxPositions()) {
          throw new InvalidBundleException(
              Problem.INVALID_MODEL,
              modelLocation,
              "maxSequenceLength "
                  + maxLength
                  + " exceeds the model's "
                  + graph.maxPositions()
                  + " positions ("
                  + ModelGraphs.POSITIONS
                  + "): longer texts would fail");
        }
        if (graph.vocabulary() > 0 && tokenizer.largestId() >= graph.vocabulary()) {
          throw new InvalidBundleException(
              Problem.INVALID_MODEL,
              bundle.location() + "/" + BundleManifest.TOKENIZER_FILE,
              "the tokenizer produces ids up to "
                  + tokenizer.largestId()
                  + " but the model has "
                  + graph.vocabulary()
                  + " word embeddings: a tokenizer of another model?");
        }
        session = env.createSession(graph.bytes(), sessionOptions);
      } catch (OrtException e) {
        throw new InvalidBundleException(
            Problem.INVALID_MODEL,
            modelLocation,
            "ONNX Runtime cannot load the model: " + e.getMessage(),
            e);
      } catch (UnsupportedGraphException e) {
        throw new InvalidBundleException(
            Problem.INVALID_MODEL,
            modelLocation,
            "dynamically quantised model cannot be batched exactly: " + e.getMessage(),
            e);
      }
      opened.add(session);
      Map<String, OnnxJavaType> inputs = inputsOf(session, modelLocation);
      String[] out = outputOf(session, modelLocation);
      ExecutorService lanes = null;
      if (options.concurrentBatches() > 1) {
        int pool = POOL_IDS.incrementAndGet();
        AtomicInteger threadIds = new AtomicInteger();
        lanes =
            Executors.newFixedThreadPool(
                options.concurrentBatches(),
                r -> {
                  Thread t =
                      new Thread(
                          r, "twinstream-encoder-" + pool + "-" + threadIds.incrementAndGet());
                  t.setDaemon(true);
                  return t;
                });
        ExecutorService toClose = lanes;
        opened.add(toClose::shutdownNow);
      }
      SentenceEncoder encoder =
          new SentenceEncoder(
              manifest,
              options,
              tokenizer,
              env,
              session,
              inputs,
              out[0],
              Boolean.parseBoolean(out[1]),
              lanes);
      encoder.checkDimension(modelLocation);
      LOG.debug(
          "Opened {} ({}), inputs {}, output {}, {} thread(s) x {} concurrent batch(es), max length {}",
          manifest.version(),
          bundle.location(),
          inputs.keySet(),
          out[0],
          intraOp,
          options.concurrentBatches(),
          maxLength);
      return encoder;
    } catch (InvalidBundleException | RuntimeException | Error e) {
      closeAll(opened, e);
      throw e;
    }
  }

  private static Map<String, OnnxJavaType> inputsOf(OrtSession session, String location)
      throws InvalidBundleException {
    Map<String, NodeInfo> info;
    try {
      info = session.getInputInfo();
    } catch (OrtException e) {
      throw new InvalidBundleException(
          Problem.INVALID_MODEL, location, "cannot read model inputs: " + e, e);
    }
    Map<String, OnnxJavaType> inputs = new HashMap<>();
    for (Map.Entry<String, NodeInfo> e : info.entrySet()) {
      String name = e.getKey();
      if (!List.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS).contains(name)) {
        throw new InvalidBundleException(
            Problem.INVALID_MODEL,
            location,
            "unsupported model input '"
                + name
                + "' (supported: input_ids, attention_mask, token_type_ids)");
      }
      if (!(e.getValue().getInfo() instanceof TensorInfo tensor)
          || (tensor.type != OnnxJavaType.INT64 && tensor.type != OnnxJavaType.INT32)) {
        throw new InvalidBundleException(
            Problem.INVALID_MODEL,
            location,
            "model input '"
                + name
                + "' is not an int64 or int32 tensor: "
                + e.getValue().getInfo());
      }
      inputs.put(name, tensor.type);
    }
    for (String required : List.of(INPUT_IDS, ATTENTION_MASK)) {
      if (!inputs.containsKey(required)) {
        throw new InvalidBundleException(
            Problem.INVALID_MODEL,
            location,
            "the model has no '" + required + "' input (it has " + info.keySet() + ")");
      }
    }
    return Map.copyOf(inputs);
  }

  /**
   * Picks the output to pool: per-token states if the model has them, else an already pooled
   * vector.
   */
  private static String[] outputOf(OrtSession session, String location)
      throws InvalidBundleException {
    Map<String, NodeInfo> info;
    try {
      info = session.getOutputInfo();
    } catch (OrtException e) {
      throw new InvalidBundleException(
          Problem.INVALID_MODEL, location, "cannot read model outputs: " + e, e);
    }
    for (String name : TOKEN_OUTPUTS) {
      if (info.containsKey(name)) {
        return new String[] {name, "false"};
      }
    }
    for (String name : POOLED_OUTPUTS) {
      if (info.containsKey(name)) {
        return new String[] {name, "true"};
      }
    }
    for (Map.Entry<String, NodeInfo> e : info.entrySet()) {
      if (e.getValue().getInfo() instanceof TensorInfo t && t.getShape().length == 3) {
        return new String[] {e.getKey(), "false"};
      }
    }
    throw new InvalidBundleException(
        Problem.INVALID_MODEL,
        location,
        "no output of token vectors ([batch, tokens, hidden]) or sentence vectors among "
            + info.keySet());
  }

  private void checkDimension(String location) throws InvalidBundleException {
    float[] probe;
    try {
      probe = embed(List.of("dimension probe"))[0];
    } catch (EncodingException e) {
      throw new InvalidBundleException(
          Problem.INVALID_MODEL,
          location,
          "the model fails on a probe text: " + e.getCause().getMessage(),
          e);
    }
    if (probe.length != manifest.dimension()) {
      throw new InvalidBundleException(
          Problem.INVALID_MODEL,
          location,
          "the model produces "
              + probe.length
              + "-dimensional vectors but the manifest says "
              + manifest.dimension());
    }
  }

  /** The manifest of the bundle being served. */
  public BundleManifest manifest() {
    return manifest;
  }

  /** The version of the bundle being served. */
  public String modelVersion() {
    return manifest.version();
  }

  /** Length of the vectors. */
  public int dimension() {
    return manifest.dimension();
  }

  /** Tokens per text the model sees, special tokens included. */
  public int maxSequenceLength() {
    return tokenizer.maxLength();
  }

  /** The options this encoder runs with. */
  public EncoderOptions options() {
    return options;
  }

  /** Vectors only, in input order. */
  public float[][] embed(List<String> texts) {
    List<SentenceEmbedding> results = encode(texts);
    float[][] vectors = new float[results.size()][];
    for (int i = 0; i < vectors.length; i++) {
      vectors[i] = results.get(i).vector();
    }
    return vectors;
  }

  /** Embeds one text (prefer the list form: it batches). */
  public SentenceEmbedding encode(String text) {
    return encode(List.of(text)).get(0);
  }

  /**
   * Embeds {@code texts} and returns one result per text, in input order.
   *
   * @throws NullPointerException if a text is null (the message gives its index)
   * @throws EncodingException if ONNX Runtime fails on a batch
   */
  public List<SentenceEmbedding> encode(List<String> texts) {
    Objects.requireNonNull(texts, "texts");
    inUse.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("SentenceEncoder for " + manifest.version() + " is closed");
      }
      return encodeOpen(texts);
    } finally {
      inUse.readLock().unlock();
    }
  }

  private List<SentenceEmbedding> encodeOpen(List<String> texts) {
    for (int i = 0; i < texts.size(); i++) {
      if (texts.get(i) == null) {
        throw new NullPointerException("text at index " + i + " is null");
      }
    }
    if (texts.isEmpty()) {
      return List.of();
    }
    Tokenized[] tokenized = tokenize(texts);
    Integer[] order = IntStream.range(0, tokenized.length).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingInt(i -> tokenized[i].length()));
    SentenceEmbedding[] results = new SentenceEmbedding[tokenized.length];
    // A request smaller than one batch per thread is split so that every thread gets a share: a
    // call with
    // 32 texts on 2 threads runs as 2 concurrent batches of 16 rather than 1 batch on 1 thread.
    int lanesAvailable = lanes == null ? 1 : options.concurrentBatches();
    int batchSize =
        Math.max(
            1, Math.min(options.batchSize(), (order.length + lanesAvailable - 1) / lanesAvailable));
    int batches = (order.length + batchSize - 1) / batchSize;
    if (lanes == null || batches == 1) {
      for (int b = 0; b < batches; b++) {
        runBatch(
            tokenized, order, b * batchSize, Math.min(order.length, (b + 1) * batchSize), results);
      }
    } else {
      List<Future<?>> pending = new ArrayList<>(batches);
      for (int b = 0; b < batches; b++) {
        int from = b * batchSize;
        int to = Math.min(order.length, from + batchSize);
        pending.add(lanes.submit(() -> runBatch(tokenized, order, from, to, results)));
      }
      awaitAll(pending);
    }
    return Arrays.asList(results);
  }

  /**
   * Tokenizes on the batch threads too, in contiguous slices, when there are enough texts to share.
   */
  private Tokenized[] tokenize(List<String> texts) {
    int slices =
        lanes == null
            ? 1
            : Math.min(options.concurrentBatches(), texts.size() / MIN_TEXTS_PER_SLICE);
    if (slices <= 1) {
      return tokenizer.tokenize(texts);
    }
    Tokenized[] out = new Tokenized[texts.size()];
    List<Future<?>> pending = new ArrayList<>(slices);
    int per = (texts.size() + slices - 1) / slices;
    for (int from = 0; from < texts.size(); from += per) {
      int start = from;
      int end = Math.min(texts.size(), from + per);
      pending.add(
          lanes.submit(
              () -> {
                Tokenized[] part = tokenizer.tokenize(texts.subList(start, end));
                System.arraycopy(part, 0, out, start, part.length);
              }));
    }
    awaitAll(pending);
    return out;
  }

  /**
   * Waits for every batch; rethrows the first failure (a runtime exception as it is, anything else
   * as an {@link EncodingException}) with the others suppressed.
   */
  static void awaitAll(List<Future<?>> pending) {
    RuntimeException failure = null;
    for (Future<?> f : pending) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        pending.forEach(p -> p.cancel(true));
        throw new EncodingException("interrupted while waiting for a batch", e);
      } catch (ExecutionException e) {
        RuntimeException cause =
            e.getCause() instanceof RuntimeException r
                ? r
                : new EncodingException("batch failed: " + e.getCause(), e.getCause());
        if (failure == null) {
          failure = cause;
        } else {
          failure.addSuppressed(cause);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Runs the texts {@code order[from..to)} as one batch and stores their results. */
  private void runBatch(
      Tokenized[] tokenized, Integer[] order, int from, int to, SentenceEmbedding[] results) {
    PaddedBatch batch = PaddedBatch.of(tokenized, order, from, to);
    int rows = batch.rows();
    int seqLen = batch.seqLen();
    long[] shape = batch.shape();
    Map<String, OnnxTensor> feed = new HashMap<>();
    try {
      feed.put(INPUT_IDS, tensor(batch.ids(), shape, inputs.get(INPUT_IDS)));
      feed.put(ATTENTION_MASK, tensor(batch.mask(), shape, inputs.get(ATTENTION_MASK)));
      if (inputs.containsKey(TOKEN_TYPE_IDS)) {
        feed.put(TOKEN_TYPE_IDS, tensor(batch.types(), shape, inputs.get(TOKEN_TYPE_IDS)));
      }
      try (OrtSession.Result result = session.run(feed, Set.of(output))) {
        OnnxTensor out = (OnnxTensor) result.get(0);
        long[] outShape = out.getInfo().getShape();
        FloatBuffer values = out.getFloatBuffer();
        int dim = (int) outShape[outShape.length - 1];
        for (int r = 0; r < rows; r++) {
          Tokenized t = tokenized[order[from + r]];
          float[] vector = new float[dim];
          if (outputIsPooled) {
            values.get(r * dim, vector, 0, dim);
          } else {
            manifest.pooling().pool(values, r, seqLen, t.length(), vector);
          }
          if (manifest.normalize()) {
            PoolingMode.normalize(vector);
          }
          results[order[from + r]] = new SentenceEmbedding(vector, t.truncated(), t.tokens());
        }
      }
    } catch (OrtException e) {
      throw new EncodingException(
          "ONNX Runtime failed on a batch of "
              + rows
              + " texts of up to "
              + seqLen
              + " tokens with model "
              + manifest.version()
              + ": "
              + e.getMessage(),
          e);
    } finally {
      feed.values().forEach(OnnxTensor::close);
    }
  }

  private OnnxTensor tensor(long[] values, long[] shape, OnnxJavaType type) throws OrtException {
    if (type == OnnxJavaType.INT32) {
      int[] narrow = new int[values.length];
      for (int i = 0; i < values.length; i++) {
        narrow[i] = (int) values[i];
      }
      return OnnxTensor.createTensor(env, IntBuffer.wrap(narrow), shape);
    }
    return OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape);
  }

  /** Releases the ONNX session, the tokenizer and the batch threads. Idempotent. */
  @Override
  public void close() {
    // Waits for encodes in progress; later ones see closed and fail cleanly.
    inUse.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      // closeAll goes from the last to the first: the lanes end first, then the session, then the
      // tokenizer.
      List<AutoCloseable> all = new ArrayList<>();
      all.add(tokenizer);
      all.add(session);
      if (lanes != null) {
        // A batch whose caller was interrupted may still be running on a lane: let it end before
        // the session.
        all.add(
            () -> {
              lanes.shutdown();
              awaitLanes();
            });
      }
      closeAll(all, null);
    } finally {
      inUse.writeLock().unlock();
    }
  }

  /**
   * Waits (up to 60 s, through interrupts: a cancelled task is interrupted repeatedly) for the
   * lanes to end.
   */
  private void awaitLanes() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    boolean interrupted = false;
    while (!lanes.isTerminated() && System.nanoTime() < deadline) {
      try {
        lanes.awaitTermination(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (!lanes.isTerminated()) {
      LOG.warn("Batch threads of {} still running after 60 s; closing anyway", manifest.version());
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeAll(List<AutoCloseable> resources, Throwable primary) {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        if (primary != null) {
          primary.addSuppressed(e);
        } else {
          LOG.warn("Failed to close {}", resources.get(i), e);
        }
      }
    }
  }

  @Override
  public String toString() {
    return "SentenceEncoder[" + manifest.version() + ", dim=" + manifest.dimension() + "]";
  }
}
