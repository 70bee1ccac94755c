package io.twinstream.encoder;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.twinstream.encoder.InvalidBundleException.Problem;
import io.twinstream.encoder.TextTokenizer.Tokenized;
import io.twinstream.encoder.onnx.BertWeights;
import io.twinstream.encoder.onnx.FusedBertGraph;
import io.twinstream.encoder.onnx.GraphTensor;
import io.twinstream.encoder.onnx.OnnxModel;
import io.twinstream.encoder.onnx.UnsupportedGraphException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * A BERT encoder run in two parts on ONNX Runtime, with the hidden states between them kept in a
 * {@link HiddenStateStore}: the embeddings and the lowest {@code split} layers run once per text
 * and model below the split; the layers above run on the kept states. For models that share their
 * lower layers — a fine-tuned candidate whose lowest layers were frozen, and the version it was
 * trained from — the lower part of a text is computed once, whichever of them embeds it first.
 *
 * <p>The two parts compute what the fused graph of {@link SentenceEncoder} computes (the same
 * operators, the same mask, the same pooling and normalisation): vectors agree with it to float
 * rounding. The store is keyed by a {@linkplain #fingerprint fingerprint} of everything below the
 * split; opening an encoder whose lower part differs empties it.
 */
public final class SplitEncoder implements AutoCloseable {

  private static final String LAST_HIDDEN_STATE = "last_hidden_state";

  private final BundleManifest manifest;
  private final int split;
  private final int hidden;
  private final TextTokenizer tokenizer;
  private final OrtEnvironment env;
  private final OrtSession lower;
  private final OrtSession upper;
  private final HiddenStateStore store;
  private final int batchSize;
  private final ExecutorService lanes;
  private final AtomicLong lowerComputed = new AtomicLong();

  private SplitEncoder(
      BundleManifest manifest,
      int split,
      int hidden,
      TextTokenizer tokenizer,
      OrtEnvironment env,
      OrtSession lower,
      OrtSession upper,
      HiddenStateStore store,
      int batchSize,
      ExecutorService lanes) {
    this.manifest = manifest;
    this.split = split;
    this.hidden = hidden;
    this.tokenizer = tokenizer;
    this.env = env;
    this.lower = lower;
    this.upper = upper;
    this.store = store;
    this.batchSize = batchSize;
    this.lanes = lanes;
  }

  /**
   * Opens {@code bundle} split above layer {@code split}, keeping lower states in {@code store}
   * (emptied first unless it holds the states of this bundle's lower part).
   *
   * @param options batch size, threads (one batch per thread) and sequence length as for {@link
   *     SentenceEncoder}
   * @throws InvalidBundleException if the bundle has no float BERT graph to split (a quantised
   *     model, another architecture), {@code split} leaves no layer on a side, or ONNX Runtime
   *     cannot load a part
   */
  public static SplitEncoder open(
      ModelBundle bundle, int split, HiddenStateStore store, EncoderOptions options)
      throws InvalidBundleException {
    String location = bundle.location() + "/" + BundleManifest.MODEL_FILE;
    BundleManifest manifest = bundle.manifest();
    int maxLength =
        options.maxSequenceLength() > 0
            ? options.maxSequenceLength()
            : manifest.maxSequenceLength();
    BertWeights weights;
    byte[] lowerGraph;
    byte[] upperGraph;
    try {
      weights = BertWeights.extract(OnnxModel.parse(bundle.modelBytes()));
      lowerGraph = FusedBertGraph.lower(weights, split);
      upperGraph = FusedBertGraph.upper(weights, split);
    } catch (UnsupportedGraphException | IllegalArgumentException e) {
      throw new InvalidBundleException(
          Problem.INVALID_MODEL,
          location,
          "cannot split the model above layer " + split + ": " + e.getMessage(),
          e);
    }
    byte[] tokenizerBytes = bundle.tokenizerBytes();
    String fingerprint = fingerprint(weights, split, tokenizerBytes, maxLength);
    TextTokenizer tokenizer =
        new TextTokenizer(
            tokenizerBytes, maxLength, bundle.location() + "/" + BundleManifest.TOKENIZER_FILE);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession lowerSession = null;
    OrtSession upperSession = null;
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(Math.max(1, options.threads() / options.concurrentBatches()));
      so.setInterOpNumThreads(1);
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      so.addConfigEntry("session.intra_op.allow_spinning", "0");
      lowerSession = env.createSession(lowerGraph, so);
      upperSession = env.createSession(upperGraph, so);
    } catch (OrtException e) {
      closeQuietly(lowerSession);
      tokenizer.close();
      throw new InvalidBundleException(
          Problem.INVALID_MODEL,
          location,
          "ONNX Runtime cannot load a part of the split model: " + e.getMessage(),
          e);
    }
    store.reset(fingerprint, weights.config().hidden());
    ExecutorService lanes =
        Executors.newFixedThreadPool(
            options.concurrentBatches(),
            r -> {
              Thread t = new Thread(r, "twinstream-split-encoder");
              t.setDaemon(true);
              return t;
            });
    return new SplitEncoder(
        manifest,
        split,
        weights.config().hidden(),
        tokenizer,
        env,
        lowerSession,
        upperSession,
        store,
        options.batchSize(),
        lanes);
  }

  /**
   * What the lower part computes from: the embedding tables and the layers below {@code split}, the
   * tokenizer and the sequence length, as a SHA-256 in hex. Equal fingerprints mean equal lower
   * states for every text.
   */
  static String fingerprint(BertWeights weights, int split, byte[] tokenizer, int maxLength) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    sha.update(("split=" + split + ";max=" + maxLength + ";").getBytes(StandardCharsets.UTF_8));
    sha.update(tokenizer);
    for (Map.Entry<String, GraphTensor> e : weights.tensors().entrySet()) {
      String name = e.getKey();
      if (below(name, split)) {
        sha.update(name.getBytes(StandardCharsets.UTF_8));
        sha.update(e.getValue().rawData());
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static boolean below(String name, int split) {
    if (name.startsWith("embeddings.")) {
      return true;
    }
    if (!name.startsWith("encoder.layer.")) {
      return false;
    }
    String rest = name.substring("encoder.layer.".length());
    return Integer.parseInt(rest.substring(0, rest.indexOf('.'))) < split;
  }

  /** The layer the model is split at. */
  public int split() {
    return split;
  }

  /** The bundle's manifest. */
  public BundleManifest manifest() {
    return manifest;
  }

  /** Texts whose lower part this encoder computed (the others' came from the store). */
  public long lowerComputed() {
    return lowerComputed.get();
  }

  /** One vector per text, in order, as {@link SentenceEncoder#embed} gives it. */
  public float[][] embed(List<String> texts) {
    if (texts.isEmpty()) {
      return new float[0][];
    }
    Tokenized[] tokenized = tokenizer.tokenize(texts);
    // Lower part for the texts the store lacks; states not stored (a full store) stay here.
    Map<String, Integer> missing = new LinkedHashMap<>();
    for (int i = 0; i < texts.size(); i++) {
      if (store.tokens(texts.get(i)) < 0) {
        missing.putIfAbsent(texts.get(i), i);
      }
    }
    Map<String, float[]> unstored = new ConcurrentHashMap<>();
    Integer[] lowerOrder = missing.values().toArray(Integer[]::new);
    Arrays.sort(lowerOrder, Comparator.comparingInt(i -> tokenized[i].length()));
    runAll(
        lowerOrder.length,
        (from, to) -> runLower(texts, tokenized, lowerOrder, from, to, unstored));
    lowerComputed.addAndGet(lowerOrder.length);
    float[][] results = new float[texts.size()][];
    Integer[] order = IntStream.range(0, texts.size()).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingInt(i -> tokenized[i].length()));
    runAll(
        order.length, (from, to) -> runUpper(texts, tokenized, order, from, to, unstored, results));
    return results;
  }

  private interface Slice {
    void run(int from, int to) throws OrtException;
  }

  private void runAll(int n, Slice slice) {
    List<Future<?>> pending = new ArrayList<>();
    for (int from = 0; from < n; from += batchSize) {
      int start = from;
      int end = Math.min(n, from + batchSize);
      pending.add(
          lanes.submit(
              () -> {
                try {
                  slice.run(start, end);
                } catch (OrtException e) {
                  throw new EncodingException(
                      "ONNX Runtime failed on a batch of split model "
                          + manifest.version()
                          + ": "
                          + e.getMessage(),
                      e);
                }
              }));
    }
    SentenceEncoder.awaitAll(pending);
  }

  private void runLower(
      List<String> texts,
      Tokenized[] tokenized,
      Integer[] order,
      int from,
      int to,
      Map<String, float[]> unstored)
      throws OrtException {
    PaddedBatch batch = PaddedBatch.of(tokenized, order, from, to);
    int rows = batch.rows();
    int seqLen = batch.seqLen();
    long[] shape = batch.shape();
    try (OnnxTensor idT = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.ids()), shape);
        OnnxTensor maskT = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.mask()), shape);
        OnnxTensor typeT = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.types()), shape);
        OrtSession.Result result =
            lower.run(Map.of("input_ids", idT, "attention_mask", maskT, "token_type_ids", typeT))) {
      FloatBuffer values = ((OnnxTensor) result.get(0)).getFloatBuffer();
      for (int r = 0; r < rows; r++) {
        int i = order[from + r];
        int length = tokenized[i].length();
        int at = r * seqLen * hidden;
        if (!store.write(texts.get(i), values, at, length)) {
          float[] state = new float[length * hidden];
          values.get(at, state, 0, state.length);
          unstored.put(texts.get(i), state);
        }
      }
    }
  }

  private void runUpper(
      List<String> texts,
      Tokenized[] tokenized,
      Integer[] order,
      int from,
      int to,
      Map<String, float[]> unstored,
      float[][] results)
      throws OrtException {
    int rows = to - from;
    int seqLen = tokenized[order[to - 1]].length();
    float[] states = new float[rows * seqLen * hidden];
    long[] mask = new long[rows * seqLen];
    for (int r = 0; r < rows; r++) {
      int i = order[from + r];
      int length = tokenized[i].length();
      int at = r * seqLen * hidden;
      float[] local = unstored.get(texts.get(i));
      int tokens = local != null ? length : store.read(texts.get(i), states, at);
      if (local != null) {
        System.arraycopy(local, 0, states, at, local.length);
      } else if (tokens != length) {
        throw new IllegalStateException(
            "the kept hidden state of a text has " + tokens + " tokens, not " + length);
      }
      Arrays.fill(mask, r * seqLen, r * seqLen + length, 1L);
    }
    try (OnnxTensor stateT =
            OnnxTensor.createTensor(
                env, FloatBuffer.wrap(states), new long[] {rows, seqLen, hidden});
        OnnxTensor maskT =
            OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {rows, seqLen});
        OrtSession.Result result =
            upper.run(
                Map.of(FusedBertGraph.HIDDEN_INPUT, stateT, "attention_mask", maskT),
                Set.of(LAST_HIDDEN_STATE))) {
      FloatBuffer values = ((OnnxTensor) result.get(0)).getFloatBuffer();
      for (int r = 0; r < rows; r++) {
        int i = order[from + r];
        float[] vector = new float[hidden];
        manifest.pooling().pool(values, r, seqLen, tokenized[i].length(), vector);
        if (manifest.normalize()) {
          PoolingMode.normalize(vector);
        }
        results[i] = vector;
      }
    }
  }

  private static void closeQuietly(OrtSession session) {
    if (session != null) {
      try {
        session.close();
      } catch (OrtException ignored) {
        // closing after a failure: the failure is what is reported
      }
    }
  }

  /** Releases both sessions, the tokenizer and the threads; the store stays open. */
  @Override
  public void close() {
    lanes.shutdownNow();
    closeQuietly(lower);
    closeQuietly(upper);
    tokenizer.close();
  }
}
