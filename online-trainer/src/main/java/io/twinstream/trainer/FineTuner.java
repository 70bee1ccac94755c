package io.twinstream.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.TextTokenizer.Tokenized;
import io.twinstream.encoder.onnx.UnsupportedGraphException;
import io.twinstream.trainer.loss.BatchEmbeddings;
import io.twinstream.trainer.loss.Loss;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Fine-tunes a twin encoder: both sides of every example go through the same weights, the loss
 * compares their embeddings, AdamW updates the shared weights. Warm-up then linear decay of the
 * learning rate, gradient clipping, a seeded shuffle every epoch.
 *
 * <p>Memory: a step whose estimated activations exceed the options' budget runs with a gradient
 * cache (Gao et al. 2021, as sentence-transformers' CachedMultipleNegativesRankingLoss): the batch
 * is embedded without graph in mini-batches within the budget, the loss's gradient with respect to
 * those embeddings is taken, then each mini-batch is embedded again with graph and back-propagated
 * with its slice of that gradient. The result is the gradient of the whole batch (the forward pass
 * has no dropout, so both passes agree), at the cost of a second forward pass, while peak memory
 * depends on the budget instead of the batch size.
 *
 * <p>Frozen layers ({@link TrainingOptions#frozenLayers()}): the embeddings and the lowest layers
 * get no gradient and no optimiser state; the gradient cache keeps each mini-batch's hidden state
 * at the top of the frozen layers from its first pass, so the second pass and backward run only the
 * trained layers.
 *
 * <p>A non-finite loss, gradient or weight aborts the round with {@link TrainingDivergedException};
 * the model trained is always a copy loaded from the input bundle, so the input never changes.
 */
public final class FineTuner {

  /**
   * The one row-sparse table: a batch's gradient touches only the rows of the tokens it contains.
   */
  static final String WORD_EMBEDDINGS = "embeddings.word_embeddings.weight";

  private final Loss loss;
  private final TrainingOptions options;

  /**
   * Runs between every forward pass and its backward pass; tests use it to force a garbage
   * collection.
   */
  Runnable beforeBackward = () -> {};

  /** Time in the gradient cache's first passes of the current round. */
  private long firstPassNanos;

  public FineTuner(Loss loss, TrainingOptions options) {
    this.loss = loss;
    this.options = options;
  }

  /** The loss it trains with. */
  public Loss loss() {
    return loss;
  }

  /** Its options. */
  public TrainingOptions options() {
    return options;
  }

  /**
   * What a finished round did; {@code seconds} excludes the time listeners took after each epoch.
   */
  public record Summary(
      int steps,
      int examples,
      List<Double> epochLosses,
      double firstLoss,
      double lastLoss,
      double seconds,
      int cachedSteps,
      Timings timings) {}

  /**
   * Where a round's time went, in seconds: forward and backward passes, optimiser updates,
   * finiteness checks; {@code firstPass} is the part of {@code forwardBackward} that the gradient
   * cache's graph-free first pass took.
   */
  public record Timings(
      double forwardBackward, double firstPass, double optimizer, double checks) {}

  /**
   * Loads a copy of {@code base} and fine-tunes it on {@code examples}; the caller closes the
   * returned encoder.
   *
   * @throws IllegalArgumentException if an example cannot train this loss (naming its index and
   *     why)
   * @throws TrainingDivergedException if the loss, a gradient or a weight stopped being finite
   */
  public Result fineTune(
      ModelBundle base, List<TrainingExample> examples, TrainingListener listener)
      throws InvalidBundleException, UnsupportedGraphException, TrainingDivergedException {
    validate(examples); // before the model is loaded: a bad example fails fast
    TwinEncoder encoder = TwinEncoder.load(base);
    try {
      Summary summary = run(encoder, examples, listener);
      return new Result(encoder, summary);
    } catch (RuntimeException | TrainingDivergedException e) {
      encoder.close();
      throw e;
    }
  }

  /** A trained encoder and what the round did. */
  public record Result(TwinEncoder encoder, Summary summary) {}

  /**
   * The parameters a round trains: all of them, or without the embeddings and the options' frozen
   * lower layers.
   *
   * @throws IllegalArgumentException if more layers are frozen than the model has
   */
  Map<String, NDArray> trainable(TwinEncoder encoder) {
    int frozen = options.frozenLayers();
    int layers = encoder.config().layers();
    if (frozen > layers) {
      throw new IllegalArgumentException(
          "frozenLayers is " + frozen + " but the model has only " + layers + " layers");
    }
    if (frozen == 0) {
      return encoder.parameters();
    }
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : encoder.parameters().entrySet()) {
      if (!frozen(e.getKey(), frozen)) {
        out.put(e.getKey(), e.getValue());
      }
    }
    return out;
  }

  private static boolean frozen(String name, int frozenLayers) {
    if (name.startsWith("embeddings.")) {
      return true;
    }
    for (int layer = 0; layer < frozenLayers; layer++) {
      if (name.startsWith("encoder.layer." + layer + ".")) {
        return true;
      }
    }
    return false;
  }

  /** Checks that every example fits the loss and that hard negatives are given for all or none. */
  public void validate(List<TrainingExample> examples) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("no training examples");
    }
    boolean negatives = examples.get(0).negative() != null;
    for (int i = 0; i < examples.size(); i++) {
      TrainingExample e = examples.get(i);
      String why = e.unusableFor(loss.inputs());
      if (why != null) {
        throw new IllegalArgumentException(
            "example " + (i + 1) + " cannot train " + loss.name() + ": " + why);
      }
      if ((e.negative() != null) != negatives) {
        throw new IllegalArgumentException(
            "example "
                + (i + 1)
                + (negatives ? " has no" : " has a")
                + " negative, unlike example 1: give hard negatives for all examples or none");
      }
    }
  }

  /**
   * Fine-tunes {@code encoder} in place, for callers that already hold a copy of the model (e.g. to
   * evaluate it first). If the round diverges the encoder's weights are unusable: close it.
   *
   * @throws IllegalArgumentException if an example cannot train this loss (naming its index and
   *     why)
   * @throws TrainingDivergedException if the loss, a gradient or a weight stopped being finite
   */
  public Summary train(
      TwinEncoder encoder, List<TrainingExample> examples, TrainingListener listener)
      throws TrainingDivergedException {
    validate(examples);
    return run(encoder, examples, listener);
  }

  private Summary run(
      TwinEncoder encoder, List<TrainingExample> examples, TrainingListener listener)
      throws TrainingDivergedException {
    long started = System.nanoTime();
    Map<String, NDArray> parameters = trainable(encoder);
    parameters.values().forEach(p -> p.setRequiresGradient(true));
    AdamW optimizer =
        new AdamW(parameters, options.weightDecay(), Set.of(WORD_EMBEDDINGS), options.baseDecay());
    Random random = new Random(options.seed());
    List<TrainingExample> order = new ArrayList<>(examples);
    List<List<List<TrainingExample>>> epochs = new ArrayList<>();
    for (int epoch = 1; epoch <= options.epochs(); epoch++) {
      Collections.shuffle(order, random);
      epochs.add(options.batchSampler().batches(new ArrayList<>(order), options.batchSize()));
    }
    int total = epochs.stream().mapToInt(List::size).sum();
    int warmup = (int) Math.ceil(options.warmupRatio() * total);
    List<Double> epochLosses = new ArrayList<>();
    double first = Double.NaN;
    double last = Double.NaN;
    int step = 0;
    int cached = 0;
    long forwardBackward = 0;
    firstPassNanos = 0;
    long optimizing = 0;
    long checking = 0;
    try {
      for (int epoch = 1; epoch <= options.epochs(); epoch++) {
        List<List<TrainingExample>> batches = epochs.get(epoch - 1);
        double sum = 0;
        for (List<TrainingExample> batch : batches) {
          step++;
          double lr = learningRate(step, warmup, total);
          long t0 = System.nanoTime();
          StepResult r = step(encoder, parameters, batch, step);
          long t1 = System.nanoTime();
          forwardBackward += t1 - t0;
          if (r.cached()) {
            cached++;
          }
          double scale =
              r.gradNorm() > options.maxGradNorm()
                  ? options.maxGradNorm() / (r.gradNorm() + 1e-6)
                  : 1;
          try (NDManager scratch = encoder.manager().newSubManager()) {
            optimizer.step(parameters, scratch, lr, scale, Map.of(WORD_EMBEDDINGS, r.tokenIds()));
          }
          zeroGradients(parameters);
          long t2 = System.nanoTime();
          optimizing += t2 - t1;
          checkWeights(parameters, step);
          checking += System.nanoTime() - t2;
          sum += r.loss();
          if (step == 1) {
            first = r.loss();
          }
          last = r.loss();
          listener.stepCompleted(epoch, step, total, r.loss(), lr, r.gradNorm());
        }
        epochLosses.add(sum / batches.size());
        long listening = System.nanoTime();
        listener.epochCompleted(epoch, sum / batches.size(), encoder);
        started += System.nanoTime() - listening; // evaluation is not training time
      }
    } finally {
      optimizer.close();
      zeroGradients(parameters);
      parameters.values().forEach(p -> p.setRequiresGradient(false));
    }
    return new Summary(
        step,
        examples.size(),
        List.copyOf(epochLosses),
        first,
        last,
        (System.nanoTime() - started) / 1e9,
        cached,
        new Timings(forwardBackward / 1e9, firstPassNanos / 1e9, optimizing / 1e9, checking / 1e9));
  }

  /**
   * The mean loss of {@code encoder} over {@code examples} in batches of the options' batch size
   * (in order, no shuffle, no graph): to compare a model before and after a round on the same data.
   */
  public double meanLoss(TwinEncoder encoder, List<TrainingExample> examples) {
    validate(examples);
    double sum = 0;
    int batches = 0;
    try (NoGrad ignored = NoGrad.enter()) {
      for (int start = 0; start < examples.size(); start += options.batchSize()) {
        List<TrainingExample> batch =
            examples.subList(start, Math.min(examples.size(), start + options.batchSize()));
        try (NDManager m = encoder.manager().newSubManager()) {
          NDArray[] embedded = new NDArray[3];
          List<List<String>> texts = columnTexts(batch);
          for (int c = 0; c < texts.size(); c++) {
            embedded[c] = encoder.embed(m, encoder.tokenize(m, texts.get(c)));
          }
          sum +=
              loss.compute(
                      m,
                      new BatchEmbeddings(
                          embedded[0], embedded[1], embedded[2], labels(batch), weights(batch)))
                  .getFloat();
          batches++;
        }
      }
    }
    return sum / batches;
  }

  /**
   * Linear warm-up from 0 over {@code warmup} steps, then linear decay to 0 at step {@code total +
   * 1}.
   */
  double learningRate(int step, int warmup, int total) {
    double peak = options.learningRate();
    if (step <= warmup) {
      return peak * step / Math.max(1, warmup);
    }
    return peak * Math.max(0.0, (double) (total - step + 1) / Math.max(1, total - warmup));
  }

  private record StepResult(double loss, double gradNorm, boolean cached, int[] tokenIds) {}

  /**
   * The gradients one step would apply, by parameter name (tests); the encoder's weights are not
   * changed.
   */
  Map<String, float[]> gradients(TwinEncoder encoder, List<TrainingExample> batch)
      throws TrainingDivergedException {
    Map<String, NDArray> parameters = trainable(encoder);
    parameters.values().forEach(p -> p.setRequiresGradient(true));
    try {
      step(encoder, parameters, batch, 1);
      Map<String, float[]> out = new LinkedHashMap<>();
      try (NDManager m = encoder.manager().newSubManager()) {
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
          NDArray g = e.getValue().getGradient();
          g.attach(m);
          out.put(e.getKey(), g.toFloatArray());
        }
      }
      return out;
    } finally {
      zeroGradients(parameters);
      parameters.values().forEach(p -> p.setRequiresGradient(false));
    }
  }

  /** Forward and backward for one batch; leaves the batch's gradients on the parameters. */
  private StepResult step(
      TwinEncoder encoder, Map<String, NDArray> parameters, List<TrainingExample> batch, int step)
      throws TrainingDivergedException {
    List<List<Tokenized>> columns = new ArrayList<>();
    for (List<String> texts : columnTexts(batch)) {
      columns.add(List.of(encoder.tokens(texts)));
    }
    float[] labels = labels(batch);
    float[] weights = weights(batch);
    long needed = 0;
    if (mergeColumns(columns)) {
      int widest = columns.stream().mapToInt(FineTuner::width).max().orElse(1);
      needed = activationBytes(encoder, columns.size() * batch.size(), widest);
    } else {
      for (List<Tokenized> column : columns) {
        needed += activationBytes(encoder, column.size(), width(column));
      }
    }
    boolean cache =
        options.gradientCache() == GradientCache.ON
            || (options.gradientCache() == GradientCache.AUTO && needed > budgetBytes());
    double value =
        cache
            ? cachedStep(encoder, columns, labels, weights)
            : directStep(encoder, columns, labels, weights);
    if (!Double.isFinite(value)) {
      throw new TrainingDivergedException(step, "the loss is " + value);
    }
    double norm = gradientNorm(parameters);
    if (!Double.isFinite(norm)) {
      throw new TrainingDivergedException(step, "the gradient norm is " + norm);
    }
    BitSet ids = new BitSet();
    for (List<Tokenized> column : columns) {
      for (Tokenized t : column) {
        for (long id : t.ids()) {
          ids.set((int) id);
        }
      }
    }
    return new StepResult(value, norm, cache, ids.stream().toArray());
  }

  private double directStep(
      TwinEncoder encoder, List<List<Tokenized>> columns, float[] labels, float[] weights) {
    try (NDManager m = encoder.manager().newSubManager();
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray[] embedded = new NDArray[3];
      if (mergeColumns(columns)) {
        // One pass over all texts: larger matrix products, half the operator calls.
        List<Tokenized> all = new ArrayList<>();
        columns.forEach(all::addAll);
        NDArray vectors = encoder.embed(m, encoder.batch(m, all));
        int rows = columns.get(0).size();
        for (int c = 0; c < columns.size(); c++) {
          embedded[c] = vectors.get(new NDIndex("{}:{}", c * rows, (c + 1) * rows));
        }
      } else {
        for (int c = 0; c < columns.size(); c++) {
          embedded[c] = encoder.embed(m, encoder.batch(m, columns.get(c)));
        }
      }
      NDArray value =
          loss.compute(
              m, new BatchEmbeddings(embedded[0], embedded[1], embedded[2], labels, weights));
      beforeBackward.run();
      collector.backward(value);
      return value.getFloat();
    }
  }

  /** The texts of a batch by column: anchors, positives and, if the batch has them, negatives. */
  private static List<List<String>> columnTexts(List<TrainingExample> batch) {
    List<List<String>> columns = new ArrayList<>(3);
    columns.add(batch.stream().map(TrainingExample::anchor).toList());
    columns.add(batch.stream().map(TrainingExample::positive).toList());
    if (batch.get(0).negative() != null) {
      columns.add(batch.stream().map(TrainingExample::negative).toList());
    }
    return columns;
  }

  /** The batch's labels, or {@code null} for unlabelled examples. */
  private static float[] labels(List<TrainingExample> batch) {
    if (batch.get(0).label() == null) {
      return null;
    }
    float[] labels = new float[batch.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = batch.get(i).label();
    }
    return labels;
  }

  /** The batch's example weights, or {@code null} when all weigh 1. */
  private static float[] weights(List<TrainingExample> batch) {
    if (batch.stream().allMatch(e -> e.weight() == 1f)) {
      return null;
    }
    float[] weights = new float[batch.size()];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = batch.get(i).weight();
    }
    return weights;
  }

  /** The padded width of a column: its longest text in tokens. */
  private static int width(List<Tokenized> column) {
    return column.stream().mapToInt(Tokenized::length).max().orElse(1);
  }

  /**
   * Whether padding all columns to one width costs at most a quarter more tokens than padding each.
   */
  static boolean mergeColumns(List<List<Tokenized>> columns) {
    long separate = 0;
    int widest = 1;
    int rows = 0;
    for (List<Tokenized> column : columns) {
      int width = width(column);
      separate += (long) width * column.size();
      widest = Math.max(widest, width);
      rows += column.size();
    }
    return (long) widest * rows <= separate * 5 / 4;
  }

  private double cachedStep(
      TwinEncoder encoder, List<List<Tokenized>> columns, float[] labels, float[] weights) {
    int rows = columns.get(0).size();
    int dim = encoder.manifest().dimension();
    int frozen = options.frozenLayers();
    // 1. Embed every column without graph, in mini-batches of similar length within the activation
    // budget.
    List<List<int[]>> chunks = new ArrayList<>();
    // With frozen layers, each mini-batch's hidden state at their top, kept between the passes on
    // the Java heap: long-lived native blocks among the step's temporaries fragmented the native
    // heap (peak RSS 2.1x in TrainerBenchmark), the copy costs milliseconds.
    List<List<FrozenState>> frozenStates = new ArrayList<>();
    float[][] vectors = new float[columns.size()][];
    long started = System.nanoTime();
    try (NoGrad ignored = NoGrad.enter()) {
      for (int c = 0; c < columns.size(); c++) {
        List<int[]> columnChunks = chunks(encoder, columns.get(c));
        chunks.add(columnChunks);
        List<FrozenState> states = new ArrayList<>();
        frozenStates.add(states);
        vectors[c] = new float[rows * dim];
        for (int[] chunk : columnChunks) {
          try (NDManager m = encoder.manager().newSubManager()) {
            TwinEncoder.TokenBatch tokens = encoder.batch(m, select(columns.get(c), chunk));
            NDArray embedded;
            if (frozen > 0) {
              NDArray state = encoder.hiddenState(m, tokens, frozen);
              states.add(new FrozenState(state.toFloatArray(), state.getShape()));
              embedded = encoder.embedFrom(m, tokens, state, frozen);
            } else {
              embedded = encoder.embed(m, tokens);
            }
            float[] out = embedded.toFloatArray();
            for (int i = 0; i < chunk.length; i++) {
              System.arraycopy(out, i * dim, vectors[c], chunk[i] * dim, dim);
            }
          }
        }
      }
    }
    firstPassNanos += System.nanoTime() - started;
    // 2. The loss and its gradient with respect to the embeddings.
    float[][] gradients = new float[columns.size()][];
    double value;
    try (NDManager m = encoder.manager().newSubManager();
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray[] leaves = new NDArray[3];
      for (int c = 0; c < columns.size(); c++) {
        leaves[c] = m.create(vectors[c], new Shape(rows, dim));
        leaves[c].setRequiresGradient(true);
      }
      NDArray lossValue =
          loss.compute(m, new BatchEmbeddings(leaves[0], leaves[1], leaves[2], labels, weights));
      beforeBackward.run();
      collector.backward(lossValue);
      value = lossValue.getFloat();
      for (int c = 0; c < columns.size(); c++) {
        gradients[c] = leaves[c].getGradient().toFloatArray();
      }
    }
    // 3. Back-propagate each mini-batch with its slice of that gradient; parameter gradients
    // accumulate.
    try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      for (int c = 0; c < columns.size(); c++) {
        List<int[]> columnChunks = chunks.get(c);
        for (int k = 0; k < columnChunks.size(); k++) {
          int[] chunk = columnChunks.get(k);
          try (NDManager m = encoder.manager().newSubManager()) {
            float[] slice = new float[chunk.length * dim];
            for (int i = 0; i < chunk.length; i++) {
              System.arraycopy(gradients[c], chunk[i] * dim, slice, i * dim, dim);
            }
            TwinEncoder.TokenBatch tokens = encoder.batch(m, select(columns.get(c), chunk));
            NDArray embedded =
                frozen > 0
                    ? encoder.embedFrom(m, tokens, frozenStates.get(c).get(k).in(m), frozen)
                    : encoder.embed(m, tokens);
            beforeBackward.run();
            collector.backward(embedded.mul(m.create(slice, new Shape(chunk.length, dim))).sum());
          }
        }
      }
    }
    return value;
  }

  /** A hidden state kept on the Java heap between the gradient cache's two passes. */
  private record FrozenState(float[] values, Shape shape) {
    NDArray in(NDManager m) {
      return m.create(values, shape);
    }
  }

  /**
   * Estimated bytes of activations a forward pass with graph keeps for backward, for {@code rows}
   * texts padded to {@code width} tokens: per layer and token, about 12 hidden-size vectors
   * (projections, residuals, layer norms) and 2 intermediate-size ones (the feed-forward before and
   * after GELU), plus 4 attention rows per head (scores, scaled, masked, softmax), in float32.
   * Frozen layers are counted too although they keep nothing for backward: sized for all layers,
   * mini-batches stay as large as without freezing, which measured faster than twice as large ones
   * (their attention tensors outgrow the caches) and needs less memory.
   */
  static long activationBytes(TwinEncoder encoder, int rows, int width) {
    var c = encoder.config();
    long perToken = 4L * (12L * c.hidden() + 2L * c.intermediate() + 4L * c.heads() * width);
    return (long) c.layers() * rows * width * perToken;
  }

  private long budgetBytes() {
    return options.activationBudgetMiB() * 1024L * 1024L;
  }

  /**
   * Row indexes of {@code column} grouped into length-sorted mini-batches within the activation
   * budget.
   */
  private List<int[]> chunks(TwinEncoder encoder, List<Tokenized> column) {
    Integer[] byLength = new Integer[column.size()];
    for (int i = 0; i < byLength.length; i++) {
      byLength[i] = i;
    }
    Arrays.sort(byLength, Comparator.comparingInt(i -> column.get(i).length()));
    List<int[]> out = new ArrayList<>();
    int start = 0;
    while (start < byLength.length) {
      int end = start + 1;
      // Sorted ascending, so the last row sets the padded width of the chunk.
      while (end < byLength.length
          && activationBytes(encoder, end - start + 1, column.get(byLength[end]).length())
              <= budgetBytes()) {
        end++;
      }
      int[] chunk = new int[end - start];
      for (int i = start; i < end; i++) {
        chunk[i - start] = byLength[i];
      }
      out.add(chunk);
      start = end;
    }
    return out;
  }

  private static List<Tokenized> select(List<Tokenized> column, int[] rows) {
    List<Tokenized> out = new ArrayList<>(rows.length);
    for (int r : rows) {
      out.add(column.get(r));
    }
    return out;
  }

  private static double gradientNorm(Map<String, NDArray> parameters) {
    double sum = 0;
    try (NoGrad ignored = NoGrad.enter()) {
      for (NDArray p : parameters.values()) {
        try (NDArray g = p.getGradient();
            NDArray squares = g.mul(g);
            NDArray total = squares.sum()) {
          sum += total.getFloat();
        }
      }
    }
    return Math.sqrt(sum);
  }

  private static void zeroGradients(Map<String, NDArray> parameters) {
    for (NDArray p : parameters.values()) {
      if (p.hasGradient()) {
        JniUtils.zeroGrad((PtNDArray) p);
      }
    }
  }

  private static void checkWeights(Map<String, NDArray> parameters, int step)
      throws TrainingDivergedException {
    try (NoGrad ignored = NoGrad.enter()) {
      for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
        float s;
        try (NDArray sum = e.getValue().sum()) {
          s = sum.getFloat();
        }
        if (!Float.isFinite(s)) {
          throw new TrainingDivergedException(
              step, "weight " + e.getKey() + " is no longer finite");
        }
      }
    }
  }
}
