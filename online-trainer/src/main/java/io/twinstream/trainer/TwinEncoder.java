package io.twinstream.trainer;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.PoolingMode;
import io.twinstream.encoder.TextTokenizer;
import io.twinstream.encoder.TextTokenizer.Tokenized;
import io.twinstream.encoder.onnx.BertConfig;
import io.twinstream.encoder.onnx.BertWeights;
import io.twinstream.encoder.onnx.GraphTensor;
import io.twinstream.encoder.onnx.OnnxModel;
import io.twinstream.encoder.onnx.UnsupportedGraphException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The twin (siamese) encoder for training: one BERT-family transformer whose weights both sides of
 * a pair share, written with DJL NDArray operations on the PyTorch engine so that it can be
 * differentiated. Its weights come from a bundle's ONNX file ({@link BertWeights}: named
 * initializers and the anonymous MatMul weights, under Hugging Face names), its shape from the
 * graph ({@link BertConfig}), so any sentence-transformers BERT export works. Runs on a GPU when
 * DJL finds one.
 *
 * <p>Scalars in the computation are created as arrays of the step's manager, never passed as Java
 * numbers: DJL frees the tensor it wraps a Java scalar in right after the operation, while autograd
 * may still need it in the backward pass (see docs/stack.md).
 */
public final class TwinEncoder implements AutoCloseable {

  private final BertConfig config;
  private final BundleManifest manifest;
  private final NDManager manager;
  private final Map<String, NDArray> parameters;
  private final TextTokenizer tokenizer;

  private TwinEncoder(
      BertConfig config,
      BundleManifest manifest,
      NDManager manager,
      Map<String, NDArray> parameters,
      TextTokenizer tokenizer) {
    this.config = config;
    this.manifest = manifest;
    this.manager = manager;
    this.parameters = parameters;
    this.tokenizer = tokenizer;
  }

  /**
   * Loads the float BERT weights of {@code bundle} onto DJL's default device (a GPU if there is
   * one).
   */
  public static TwinEncoder load(ModelBundle bundle)
      throws InvalidBundleException, UnsupportedGraphException {
    return load(bundle, Engine.getEngine("PyTorch").defaultDevice());
  }

  /** Loads the float BERT weights of {@code bundle} onto {@code device}. */
  public static TwinEncoder load(ModelBundle bundle, Device device)
      throws InvalidBundleException, UnsupportedGraphException {
    ByteBuffer modelBuffer = bundle.modelBuffer();
    byte[] onnx = new byte[modelBuffer.remaining()];
    modelBuffer.get(onnx);
    BertWeights weights = BertWeights.extract(OnnxModel.parse(onnx));
    int maxLength = bundle.manifest().maxSequenceLength();
    if (maxLength > weights.config().maxPositions()) {
      throw new InvalidBundleException(
          InvalidBundleException.Problem.INVALID_MODEL,
          bundle.location(),
          "maxSequenceLength "
              + maxLength
              + " exceeds the model's "
              + weights.config().maxPositions()
              + " position embeddings");
    }
    NDManager manager = NDManager.newBaseManager(device, "PyTorch");
    TextTokenizer tokenizer = null;
    try {
      Map<String, NDArray> parameters = new LinkedHashMap<>();
      for (Map.Entry<String, GraphTensor> e : weights.tensors().entrySet()) {
        GraphTensor t = e.getValue();
        NDArray array = manager.create(t.floats(), new Shape(t.dims()));
        array.setName(e.getKey());
        parameters.put(e.getKey(), array);
      }
      tokenizer = TextTokenizer.of(bundle);
      return new TwinEncoder(weights.config(), bundle.manifest(), manager, parameters, tokenizer);
    } catch (RuntimeException | InvalidBundleException e) {
      if (tokenizer != null) {
        tokenizer.close();
      }
      manager.close();
      throw e;
    }
  }

  /** The transformer's shape. */
  public BertConfig config() {
    return config;
  }

  /** The manifest of the bundle the weights came from. */
  public BundleManifest manifest() {
    return manifest;
  }

  /** The tokenizer's maximum sequence length (special tokens included). */
  public int maxLength() {
    return tokenizer.maxLength();
  }

  /** The parameters, by Hugging Face name (linear weights in {@code [in, out]} layout). */
  public Map<String, NDArray> parameters() {
    return parameters;
  }

  /** The manager that owns the parameters; one per encoder. */
  public NDManager manager() {
    return manager;
  }

  /** Tokenizes {@code texts} into a padded batch of arrays owned by {@code m}. */
  public TokenBatch tokenize(NDManager m, List<String> texts) {
    return batch(m, List.of(tokenizer.tokenize(texts)));
  }

  /** Tokenizes {@code texts} without padding, truncating at the model's maximum sequence length. */
  public Tokenized[] tokens(List<String> texts) {
    return tokenizer.tokenize(texts);
  }

  /** Pads already tokenized texts into a batch of arrays owned by {@code m}. */
  public TokenBatch batch(NDManager m, List<Tokenized> tokens) {
    int width = 1;
    for (Tokenized t : tokens) {
      width = Math.max(width, t.length());
    }
    long[] ids = new long[tokens.size() * width];
    long[] types = new long[ids.length];
    float[] mask = new float[ids.length];
    for (int i = 0; i < tokens.size(); i++) {
      long[] tid = tokens.get(i).ids();
      long[] ttype = tokens.get(i).typeIds();
      for (int j = 0; j < tid.length; j++) {
        ids[i * width + j] = tid[j];
        types[i * width + j] = ttype[j];
        mask[i * width + j] = 1f;
      }
    }
    Shape shape = new Shape(tokens.size(), width);
    return new TokenBatch(m.create(ids, shape), m.create(types, shape), m.create(mask, shape));
  }

  /** Token ids, token type ids and attention mask (1 = real token), each {@code [batch, width]}. */
  public record TokenBatch(NDArray ids, NDArray typeIds, NDArray mask) {}

  /**
   * The transformer's last hidden state {@code [batch, width, hidden]}; intermediate arrays belong
   * to {@code m} (close it after the step).
   */
  public NDArray lastHiddenState(NDManager m, TokenBatch batch) {
    return layers(m, batch, embeddings(m, batch), 0, config.layers(), true);
  }

  /**
   * The hidden state after the embeddings and the first {@code count} layers {@code [batch, width,
   * hidden]}, owned by {@code m}: a training step with frozen lower layers computes it once and
   * continues from it with {@link #embedFrom}.
   */
  public NDArray hiddenState(NDManager m, TokenBatch batch, int count) {
    checkLayer(count);
    return layers(m, batch, embeddings(m, batch), 0, count, true);
  }

  /**
   * Sentence vectors computed from {@code hidden}, the hidden state after the first {@code
   * fromLayer} layers of the same {@code batch}: runs the remaining layers, pools and normalises as
   * {@link #embed} does. {@code hidden} stays where it is (the caller may use it again).
   */
  public NDArray embedFrom(NDManager m, TokenBatch batch, NDArray hidden, int fromLayer) {
    checkLayer(fromLayer);
    return pool(m, batch, layers(m, batch, hidden, fromLayer, config.layers(), false));
  }

  private void checkLayer(int layer) {
    if (layer < 0 || layer > config.layers()) {
      throw new IllegalArgumentException(
          "layer " + layer + " is outside the model's 0.." + config.layers());
    }
  }

  private NDArray embeddings(NDManager m, TokenBatch batch) {
    long b = batch.ids().getShape().get(0);
    long t = batch.ids().getShape().get(1);
    int h = config.hidden();
    // Each stage computes in a manager of its own, closed when the stage's output has moved out:
    // what backward needs autograd keeps by reference, the rest (pre-bias products, the raw and
    // masked attention scores, copies made by reshapes) is freed at once instead of at the end of
    // the step — it used to be most of a step's activation memory.
    try (NDManager stage = m.newSubManager()) {
      NDArray flatIds = batch.ids().reshape(b * t);
      NDArray flatTypes = batch.typeIds().reshape(b * t);
      flatIds.attach(stage);
      flatTypes.attach(stage);
      // A lookup's result belongs to the table's (long-lived) manager: move each into the stage's
      // manager at once, so that everything computed from them belongs there too.
      NDArray words = p("embeddings.word_embeddings.weight").get(new NDIndex("{}", flatIds));
      words.attach(stage);
      NDArray types =
          p("embeddings.token_type_embeddings.weight").get(new NDIndex("{}", flatTypes));
      types.attach(stage);
      NDArray positions = p("embeddings.position_embeddings.weight").get(new NDIndex("0:{}", t));
      positions.attach(stage);
      NDArray x =
          layerNorm(words.add(types).reshape(b, t, h).add(positions), "embeddings.LayerNorm");
      x.attach(m);
      return x;
    }
  }

  /**
   * Layers {@code from} (inclusive) to {@code to} (exclusive) applied to {@code x}; with {@code
   * consumeInput} the input is freed with the first layer's temporaries.
   */
  private NDArray layers(
      NDManager m, TokenBatch batch, NDArray x, int from, int to, boolean consumeInput) {
    long b = batch.ids().getShape().get(0);
    long t = batch.ids().getShape().get(1);
    int h = config.hidden();
    // Additive attention mask [b, 1, 1, t]: 0 for real tokens, a large negative number for padding.
    NDArray maskBias = batch.mask().reshape(b, 1, 1, t).sub(m.create(1f)).mul(m.create(1e9f));
    NDArray scale = m.create((float) (1.0 / Math.sqrt(config.headSize())));
    for (int layer = from; layer < to; layer++) {
      String pre = "encoder.layer." + layer + ".";
      try (NDManager stage = m.newSubManager()) {
        if (consumeInput || layer > from) {
          x.attach(stage);
        }
        NDArray q = heads(linear(x, pre + "attention.self.query"), b, t);
        NDArray k = heads(linear(x, pre + "attention.self.key"), b, t);
        NDArray v = heads(linear(x, pre + "attention.self.value"), b, t);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).add(maskBias);
        NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, t, h);
        NDArray attended =
            layerNorm(
                linear(context, pre + "attention.output.dense").add(x),
                pre + "attention.output.LayerNorm");
        NDArray inner = linear(attended, pre + "intermediate.dense").getNDArrayInternal().gelu();
        x = layerNorm(linear(inner, pre + "output.dense").add(attended), pre + "output.LayerNorm");
        x.attach(m);
      }
    }
    return x;
  }

  /**
   * Sentence vectors {@code [batch, hidden]}: pooled as the manifest says, normalised if it says
   * so.
   */
  public NDArray embed(NDManager m, TokenBatch batch) {
    return pool(m, batch, lastHiddenState(m, batch));
  }

  private NDArray pool(NDManager m, TokenBatch batch, NDArray hidden) {
    NDArray mask = batch.mask().expandDims(2); // [b, t, 1]
    NDArray pooled;
    PoolingMode pooling = manifest.pooling();
    switch (pooling) {
      case MEAN ->
          pooled =
              hidden
                  .mul(mask)
                  .sum(new int[] {1})
                  .div(mask.sum(new int[] {1}).maximum(m.create(1e-9f)));
      case CLS -> pooled = hidden.get(new NDIndex(":, 0, :"));
      case MAX ->
          pooled = hidden.add(mask.sub(m.create(1f)).mul(m.create(1e9f))).max(new int[] {1});
      default -> throw new IllegalStateException("unknown pooling " + pooling);
    }
    if (manifest.normalize()) {
      pooled = pooled.div(pooled.norm(new int[] {1}, true).maximum(m.create(1e-12f)));
    }
    return pooled;
  }

  /** Inference convenience: the vectors of {@code texts}, in order. */
  public float[][] encode(List<String> texts) {
    try (NDManager m = manager.newSubManager();
        NoGrad ignored = NoGrad.enter()) {
      NDArray vectors = embed(m, tokenize(m, texts));
      float[] flat = vectors.toType(DataType.FLOAT32, false).toFloatArray();
      int h = (int) vectors.getShape().get(1);
      float[][] out = new float[texts.size()][h];
      for (int i = 0; i < out.length; i++) {
        System.arraycopy(flat, i * h, out[i], 0, h);
      }
      return out;
    }
  }

  private NDArray p(String name) {
    NDArray a = parameters.get(name);
    if (a == null) {
      throw new IllegalStateException("no parameter " + name);
    }
    return a;
  }

  private NDArray linear(NDArray x, String module) {
    return x.matMul(p(module + ".weight")).add(p(module + ".bias"));
  }

  private NDArray heads(NDArray x, long b, long t) {
    return x.reshape(b, t, config.heads(), config.headSize()).transpose(0, 2, 1, 3);
  }

  private NDArray layerNorm(NDArray x, String module) {
    return x.getNDArrayInternal()
        .layerNorm(
            x,
            new Shape(config.hidden()),
            p(module + ".weight"),
            p(module + ".bias"),
            config.layerNormEpsilon())
        .singletonOrThrow();
  }

  @Override
  public void close() {
    try {
      tokenizer.close();
    } finally {
      manager.close();
    }
  }
}
