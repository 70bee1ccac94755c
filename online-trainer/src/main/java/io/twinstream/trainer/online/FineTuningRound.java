package io.twinstream.trainer.online;

import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.HiddenStateStore;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.SplitEncoder;
import io.twinstream.encoder.bridge.AdapterTrainer;
import io.twinstream.encoder.bridge.BridgeFitter;
import io.twinstream.encoder.bridge.BridgeMethod;
import io.twinstream.encoder.bridge.QueryBridge;
import io.twinstream.encoder.onnx.UnsupportedGraphException;
import io.twinstream.trainer.FineTuner;
import io.twinstream.trainer.TrainingDivergedException;
import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.TrainingListener;
import io.twinstream.trainer.TrainingOptions;
import io.twinstream.trainer.TwinEncoder;
import io.twinstream.trainer.eval.Embedder;
import io.twinstream.trainer.eval.Evaluation;
import io.twinstream.trainer.eval.Evaluator;
import io.twinstream.trainer.eval.NegativeFlips;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.eval.VectorCache;
import io.twinstream.trainer.export.BundleExporter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One continuous-learning round, plain Java: fine-tune a copy of the serving bundle on feedback,
 * evaluate candidate and serving model on the same evaluation tasks, and let the gate decide on
 * their per-query differences. The caller ({@link ContinuousTrainer}, a test) publishes the bundle
 * and announces the decision; the candidate's manifest carries the decision as a {@link
 * RoundRecord}.
 */
public final class FineTuningRound {

  /**
   * Metric names of a round's facts, next to the evaluation metrics in the candidate's manifest.
   */
  public static final String PAIRS = "round/pairs";

  public static final String FIRST_LOSS = "round/first-loss";
  public static final String LAST_LOSS = "round/last-loss";
  public static final String TRAIN_SECONDS = "round/train-seconds";

  /** Optimiser steps the round took (its batches). */
  public static final String STEPS = "round/steps";

  /** Seconds spent scoring the serving model and the candidate on every task. */
  public static final String EVALUATE_SECONDS = "round/evaluate-seconds";

  /** Training pairs per second of training (pairs × epochs / training time). */
  public static final String PAIRS_PER_SECOND = "round/pairs-per-second";

  /** Seconds spent exporting the trained candidate to a bundle. */
  public static final String EXPORT_SECONDS = "round/export-seconds";

  /**
   * Texts embedded for the round's evaluations (serving and candidate; cached ones not counted).
   */
  public static final String TEXTS_EMBEDDED = "round/texts-embedded";

  /** {@code round/TASK/serving-seconds}: seconds spent scoring the serving model on a task. */
  public static String servingSeconds(String task) {
    return "round/" + task + "/serving-seconds";
  }

  /** {@code round/TASK/candidate-seconds}: seconds spent scoring the candidate on a task. */
  public static String candidateSeconds(String task) {
    return "round/" + task + "/candidate-seconds";
  }

  /**
   * {@code round/TASK/serving-embedded}: texts the serving model embedded for a task (0 when its
   * vectors were cached).
   */
  public static String servingEmbedded(String task) {
    return "round/" + task + "/serving-embedded";
  }

  /** {@code round/TASK/candidate-embedded}: texts the candidate embedded for a task. */
  public static String candidateEmbedded(String task) {
    return "round/" + task + "/candidate-embedded";
  }

  /** Hard negatives mined from the serving model for clicks without a skipped result. */
  public static final String MINED_NEGATIVES = "round/mined-negatives";

  /** Seconds spent mining them (embedding the round's documents with the serving model). */
  public static final String MINE_SECONDS = "round/mine-seconds";

  /** Texts the serving model embedded to mine them (those not cached already). */
  public static final String MINE_EMBEDDED = "round/mine-embedded";

  /**
   * Evaluation texts whose frozen lower layers were computed this round (the others' hidden states
   * were read from the {@link #withHiddenStates store}).
   */
  public static final String LOWER_COMPUTED = "round/lower-layers-computed";

  /**
   * Share of the evaluation queries the serving model answered right (a relevant document in its
   * top 10) that the candidate does not ({@link NegativeFlips}), over every retrieval task.
   */
  public static final String NEGATIVE_FLIPS = "round/negative-flips";

  /** Queries the serving model answered right, the denominator of {@link #NEGATIVE_FLIPS}. */
  public static final String ANSWERED = "round/serving-answered";

  /** Texts both versions embedded that a promoted candidate's query bridge was fitted on. */
  public static final String BRIDGE_TEXTS = "bridge/texts";

  /** Mean cosine of the bridge's mapped vectors to the serving version's, on held-out texts. */
  public static final String BRIDGE_COSINE = "bridge/cosine";

  /** The same cosine without a map: what the bridge improves on. */
  public static final String BRIDGE_IDENTITY_COSINE = "bridge/identity-cosine";

  /** Seconds the bridge's fit took. */
  public static final String BRIDGE_FIT_SECONDS = "bridge/fit-seconds";

  /**
   * The first task's primary metric through the bridge (candidate's queries, serving's documents).
   */
  public static final String BRIDGE_PRIMARY = "bridge/primary";

  /** {@link #NEGATIVE_FLIPS} of the bridge. */
  public static final String BRIDGE_NEGATIVE_FLIPS = "bridge/negative-flips";

  private final FineTuner tuner;
  private final PromotionGate gate;
  private final String trainerId;
  private final double negativeGuard;
  private final HiddenStateStore hiddenStates;
  private final BridgeMethod bridgeMethod;
  private final int bridgeTexts;
  private final TrainingMode mode;
  private final AdapterTrainer adapterTrainer;

  public FineTuningRound(FineTuner tuner, PromotionGate gate) {
    this(tuner, gate, "");
  }

  /**
   * @param trainerId the identity recorded in the candidate's {@link RoundRecord} (empty: none)
   */
  public FineTuningRound(FineTuner tuner, PromotionGate gate, String trainerId) {
    this(tuner, gate, trainerId, 0);
  }

  /**
   * @param negativeGuard when in (0, 1], clicks without a skipped result get a hard negative mined
   *     from the serving model ({@link HardNegativeMiner} with this guard); 0 = none are mined
   */
  public FineTuningRound(
      FineTuner tuner, PromotionGate gate, String trainerId, double negativeGuard) {
    this(
        tuner,
        gate,
        trainerId,
        negativeGuard,
        null,
        null,
        0,
        TrainingMode.FULL,
        AdapterTrainer.defaults());
  }

  private FineTuningRound(
      FineTuner tuner,
      PromotionGate gate,
      String trainerId,
      double negativeGuard,
      HiddenStateStore hiddenStates,
      BridgeMethod bridgeMethod,
      int bridgeTexts,
      TrainingMode mode,
      AdapterTrainer adapterTrainer) {
    if (!(negativeGuard >= 0 && negativeGuard <= 1)) {
      throw new IllegalArgumentException("negativeGuard must be in [0, 1], got " + negativeGuard);
    }
    this.tuner = tuner;
    this.gate = gate;
    this.trainerId = trainerId;
    this.negativeGuard = negativeGuard;
    this.hiddenStates = hiddenStates;
    this.bridgeMethod = bridgeMethod;
    this.bridgeTexts = bridgeTexts;
    this.mode = mode;
    this.adapterTrainer = adapterTrainer;
  }

  /**
   * This round, evaluating through {@code store} when the tuner freezes lower layers: serving model
   * and candidate run as {@link SplitEncoder}s split above the frozen layers, so the layers they
   * share are computed once per evaluation text and kept in the store from round to round (the
   * store checks that the lower layers are the same; a serving model that cannot be split, e.g. a
   * quantised one, is evaluated whole). The caller owns the store.
   */
  public FineTuningRound withHiddenStates(HiddenStateStore store) {
    return new FineTuningRound(
        tuner,
        gate,
        trainerId,
        negativeGuard,
        store,
        bridgeMethod,
        bridgeTexts,
        mode,
        adapterTrainer);
  }

  /**
   * This round, giving a promoted candidate a {@link QueryBridge} into the serving version's space
   * ({@value QueryBridge#FILE_NAME} in its bundle), fitted by {@code method} on the evaluation
   * texts both versions embedded (at most {@code maxTexts}, the first ones); its fit and its
   * evaluation (candidate's queries mapped, serving's documents) among the round's metrics ({@code
   * bridge/...}). Null {@code method}: no bridge.
   */
  public FineTuningRound withBridge(BridgeMethod method, int maxTexts) {
    if (method != null && maxTexts < BridgeFitter.MIN_TEXTS) {
      throw new IllegalArgumentException(
          "a bridge needs at least " + BridgeFitter.MIN_TEXTS + " texts, got " + maxTexts);
    }
    return new FineTuningRound(
        tuner,
        gate,
        trainerId,
        negativeGuard,
        hiddenStates,
        method,
        maxTexts,
        mode,
        adapterTrainer);
  }

  /**
   * This round in {@code mode}: {@link TrainingMode#ADAPTER} trains a query adapter on the serving
   * model's vectors (the same losses' data, the same gate), and the candidate is the serving model
   * with the adapter ({@value QueryBridge#FILE_NAME}, method {@code adapter}, into the version
   * whose documents the serving version searches); nothing is exported.
   */
  public FineTuningRound withMode(TrainingMode m, AdapterTrainer trainer) {
    return new FineTuningRound(
        tuner, gate, trainerId, negativeGuard, hiddenStates, bridgeMethod, bridgeTexts, m, trainer);
  }

  /** Hidden units of an adapter round's query adapter. */
  public static final String ADAPTER_RANK = "adapter/rank";

  /**
   * The query adapter of {@code bundle} (its {@value QueryBridge#FILE_NAME}, method adapter), or
   * null when it has none: queries it embeds go through it, documents do not.
   */
  public static QueryBridge adapterOf(ModelBundle bundle) {
    return bundle
        .file(QueryBridge.FILE_NAME)
        .map(b -> QueryBridge.parse(b, bundle.location() + "/" + QueryBridge.FILE_NAME))
        .filter(b -> b.method() == BridgeMethod.ADAPTER)
        .orElse(null);
  }

  /**
   * What a round produced: the decision, the candidate bundle (present even when rejected, for
   * inspection; never to be served then; null when nothing was trained), the evaluations of the
   * first task, every metric of the round ({@code TASK/METRIC} for the candidate, {@code
   * parent/TASK/METRIC} for the serving model, and the {@code round/...} facts), and training
   * facts.
   */
  public record Outcome(
      PromotionGate.Decision decision,
      ModelBundle candidate,
      Evaluation candidateEvaluation,
      Evaluation servingEvaluation,
      Map<String, Double> metrics,
      int pairsUsed,
      double lastLoss,
      double seconds,
      VectorCache candidateVectors) {}

  /** {@link #run(ModelBundle, List, Map, String)} with one task named {@code heldout}. */
  public Outcome run(
      ModelBundle serving, List<Feedback> feedback, Evaluator evaluator, String version)
      throws InvalidBundleException, UnsupportedGraphException {
    return run(serving, feedback, Map.of("heldout", evaluator), version);
  }

  /**
   * {@link #run(ModelBundle, List, Map, String, TrainingListener, Map)} without listener or extra
   * facts.
   */
  public Outcome run(
      ModelBundle serving, List<Feedback> feedback, Map<String, Evaluator> tasks, String version)
      throws InvalidBundleException, UnsupportedGraphException {
    return run(serving, feedback, tasks, version, TrainingListener.NONE, Map.of(), null);
  }

  /**
   * Runs the round.
   *
   * @param serving the bundle now serving
   * @param feedback training feedback (e.g. a sample of the replay buffer)
   * @param tasks evaluation tasks by name, at least one, in order (the first is the one summarised
   *     in the decision's candidate and serving numbers); the gate compares candidate and serving
   *     on the queries of all of them, and on those whose documents {@code feedback} does not touch
   *     (its unseen-document probe)
   * @param version the candidate's version
   * @param listener hears the training steps (it may stop the round by throwing, e.g. on
   *     cancellation)
   * @param facts further numbers to record with the round's metrics (e.g. the replay buffer's
   *     sizes)
   * @param servingVectors the serving version's vectors kept from earlier rounds (used and filled
   *     when it is of {@code serving}'s version), or null to embed everything; the candidate's
   *     vectors come back in {@link Outcome#candidateVectors()}, a cache of the same capacity, to
   *     be the serving version's if it is promoted
   * @return the outcome; a diverged round is a rejection with the reason, never an exception
   */
  public Outcome run(
      ModelBundle serving,
      List<Feedback> feedback,
      Map<String, Evaluator> tasks,
      String version,
      TrainingListener listener,
      Map<String, Double> facts,
      VectorCache servingVectors)
      throws InvalidBundleException, UnsupportedGraphException {
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException("a round needs at least one evaluation task");
    }
    if (mode == TrainingMode.ADAPTER) {
      return runAdapter(serving, feedback, tasks, version, facts, servingVectors);
    }
    long started = System.nanoTime();
    VectorCache servingCache =
        servingVectors != null && servingVectors.version().equals(serving.version())
            ? servingVectors
            : new VectorCache(serving.version(), 0);
    int capacity = servingVectors == null ? 0 : servingVectors.capacity();
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.putAll(facts);
    // One copy of the model: scored as it serves, then trained in place into the candidate.
    int split = tuner.options().frozenLayers();
    HiddenStateStore store = split > 0 ? hiddenStates : null;
    try (TwinEncoder model = TwinEncoder.load(serving);
        LazyEncoder minerEncoder = new LazyEncoder(serving, 0, null);
        LazyEncoder servingEncoder = new LazyEncoder(serving, split, store)) {
      List<TrainingExample> examples;
      if (negativeGuard > 0) {
        long mining = System.nanoTime();
        long missesBefore = servingCache.misses();
        HardNegativeMiner miner =
            new HardNegativeMiner(servingCache.over(minerEncoder), negativeGuard);
        try {
          examples = FeedbackExamples.training(feedback, miner);
        } catch (LazyEncoder.OpenFailed e) {
          throw e.getCause();
        }
        // Its ONNX Runtime session is not needed again this round: its memory goes before training.
        minerEncoder.close();
        metrics.put(MINED_NEGATIVES, (double) miner.mined());
        metrics.put(MINE_SECONDS, seconds(mining));
        metrics.put(MINE_EMBEDDED, (double) (servingCache.misses() - missesBefore));
      } else {
        examples = FeedbackExamples.training(feedback);
      }
      long evaluating = System.nanoTime();
      Map<String, float[]> servingTexts = new LinkedHashMap<>();
      Map<String, Evaluation> servingEvaluations =
          evaluate(tasks, servingEncoder, servingCache, "serving", metrics, servingTexts);
      double evaluateSeconds = seconds(evaluating);
      long servingLowerComputed = servingEncoder.lowerComputed();
      servingEncoder.close();
      Evaluation firstServing = servingEvaluations.values().iterator().next();
      servingEvaluations.forEach((name, e) -> metrics.putAll(e.prefixed("parent/" + name + "/")));
      metrics.put(PAIRS, (double) examples.size());
      metrics.put(EVALUATE_SECONDS, evaluateSeconds);
      metrics.put(TEXTS_EMBEDDED, embedded(metrics, tasks));
      if (examples.isEmpty()) {
        return rejected("no positive feedback to train on", firstServing, metrics, 0, started);
      }
      FineTuner.Summary summary;
      try {
        summary = tuner.train(model, examples, listener);
      } catch (TrainingDivergedException e) {
        return rejected(e.getMessage(), firstServing, metrics, examples.size(), started);
      }
      metrics.put(FIRST_LOSS, summary.firstLoss());
      metrics.put(LAST_LOSS, summary.lastLoss());
      metrics.put(TRAIN_SECONDS, summary.seconds());
      metrics.put(STEPS, (double) summary.steps());
      metrics.put(
          PAIRS_PER_SECOND,
          summary.seconds() > 0
              ? examples.size() * (double) tuner.options().epochs() / summary.seconds()
              : Double.NaN);
      // Exported first, so that the candidate is scored by the engine that would serve it.
      long exporting = System.nanoTime();
      ModelBundle exported =
          new BundleExporter().export(serving, model, version, Map.of(), Map.of());
      metrics.put(EXPORT_SECONDS, seconds(exporting));
      VectorCache candidateCache = new VectorCache(version, capacity);
      evaluating = System.nanoTime();
      Map<String, Evaluation> candidateEvaluations;
      Map<String, float[]> candidateTexts = new LinkedHashMap<>();
      try (LazyEncoder candidateEncoder = new LazyEncoder(exported, split, store)) {
        candidateEvaluations =
            evaluate(tasks, candidateEncoder, candidateCache, "candidate", metrics, candidateTexts);
        if (store != null) {
          metrics.put(
              LOWER_COMPUTED, (double) (servingLowerComputed + candidateEncoder.lowerComputed()));
        }
      }
      metrics.put(EVALUATE_SECONDS, evaluateSeconds + seconds(evaluating));
      metrics.put(TEXTS_EMBEDDED, embedded(metrics, tasks));
      PromotionGate.Decision decision =
          gate.decide(
              candidateEvaluations,
              servingEvaluations,
              unseenProbe(tasks, feedback),
              tuner.options().seed());
      candidateEvaluations.forEach((name, e) -> metrics.putAll(e.prefixed(name + "/")));
      metrics.putAll(decision.metrics());
      NegativeFlips flips = flips(servingEvaluations, candidateEvaluations);
      metrics.put(ANSWERED, (double) flips.answered());
      metrics.put(NEGATIVE_FLIPS, flips.share());
      QueryBridge bridge = null;
      if (decision.promote() && bridgeMethod != null) {
        bridge =
            bridge(
                tasks,
                servingEvaluations,
                servingTexts,
                candidateTexts,
                serving.version(),
                version,
                metrics);
      }
      RoundRecord record =
          new RoundRecord(
              decision.promote(),
              decision.reason(),
              decision.outcome().name(),
              tuner.loss().name(),
              tuner.loss().config(),
              tuner.options().toMap(),
              examples.size(),
              trainerId);
      ModelBundle candidate = exported.withRecord(record.toManifest(), metrics);
      if (bridge != null) {
        candidate = candidate.withFile(QueryBridge.FILE_NAME, bridge.toBytes());
      }
      return new Outcome(
          decision,
          candidate,
          candidateEvaluations.values().iterator().next(),
          firstServing,
          Map.copyOf(metrics),
          examples.size(),
          summary.lastLoss(),
          seconds(started),
          candidateCache);
    }
  }

  /**
   * Scores a model on every task with {@code encoder}, on ONNX Runtime (the engine that serves it),
   * through {@code cache}; records the seconds and the texts embedded per task under {@code role}.
   * The encoder is opened only if a text is not in the cache.
   */
  private Map<String, Evaluation> evaluate(
      Map<String, Evaluator> tasks,
      LazyEncoder encoder,
      VectorCache cache,
      String role,
      Map<String, Double> metrics,
      Map<String, float[]> recorded)
      throws InvalidBundleException {
    Embedder over = cache.over(encoder);
    int keep = bridgeMethod == null ? 0 : bridgeTexts;
    Embedder cached =
        texts -> {
          float[][] vectors = over.embed(texts);
          for (int i = 0; i < texts.size() && recorded.size() < keep; i++) {
            recorded.putIfAbsent(texts.get(i), vectors[i]);
          }
          return vectors;
        };
    Map<String, Evaluation> out = new LinkedHashMap<>();
    for (Map.Entry<String, Evaluator> task : tasks.entrySet()) {
      long started = System.nanoTime();
      long missesBefore = cache.misses();
      try {
        out.put(task.getKey(), task.getValue().evaluate(cached));
      } catch (LazyEncoder.OpenFailed e) {
        throw e.getCause();
      }
      boolean serving = role.equals("serving");
      String name = task.getKey();
      metrics.put(serving ? servingSeconds(name) : candidateSeconds(name), seconds(started));
      metrics.put(
          serving ? servingEmbedded(name) : candidateEmbedded(name),
          (double) (cache.misses() - missesBefore));
    }
    return out;
  }

  /**
   * An adapter round: the serving model's vectors of the feedback's texts, a query adapter trained
   * on them (from the serving version's adapter, if it has one), serving and candidate scored with
   * their adapters on the same document vectors, the gate, and the candidate bundle.
   */
  private Outcome runAdapter(
      ModelBundle serving,
      List<Feedback> feedback,
      Map<String, Evaluator> tasks,
      String version,
      Map<String, Double> facts,
      VectorCache servingVectors)
      throws InvalidBundleException {
    long started = System.nanoTime();
    VectorCache cache =
        servingVectors != null && servingVectors.version().equals(serving.version())
            ? servingVectors
            : new VectorCache(serving.version(), 0);
    int capacity = servingVectors == null ? 0 : servingVectors.capacity();
    Map<String, Double> metrics = new LinkedHashMap<>(facts);
    QueryBridge servingAdapter = adapterOf(serving);
    try (LazyEncoder encoder = new LazyEncoder(serving, 0, null)) {
      Embedder raw = cache.over(encoder);
      List<TrainingExample> examples;
      try {
        examples =
            negativeGuard > 0
                ? FeedbackExamples.training(feedback, new HardNegativeMiner(raw, negativeGuard))
                : FeedbackExamples.training(feedback);
        long evaluating = System.nanoTime();
        Map<String, Evaluation> servingEvaluations =
            evaluateWithAdapter(tasks, raw, servingAdapter);
        double evaluateSeconds = seconds(evaluating);
        servingEvaluations.forEach((name, e) -> metrics.putAll(e.prefixed("parent/" + name + "/")));
        Evaluation firstServing = servingEvaluations.values().iterator().next();
        metrics.put(PAIRS, (double) examples.size());
        if (examples.isEmpty()) {
          return rejected("no positive feedback to train on", firstServing, metrics, 0, started);
        }
        TrainingOptions o = tuner.options();
        QueryAdapters.Trained made =
            QueryAdapters.train(examples, raw, serving, version, adapterTrainer.withSeed(o.seed()));
        AdapterTrainer.Result trained = made.result();
        metrics.put(FIRST_LOSS, trained.firstLoss());
        metrics.put(LAST_LOSS, trained.lastLoss());
        metrics.put(TRAIN_SECONDS, made.seconds());
        metrics.put(STEPS, (double) trained.steps());
        metrics.put(ADAPTER_RANK, (double) trained.map().rank());
        if (!Double.isFinite(trained.lastLoss())) {
          return rejected(
              "the adapter's loss is not finite", firstServing, metrics, examples.size(), started);
        }
        QueryBridge adapter = made.adapter();
        evaluating = System.nanoTime();
        Map<String, Evaluation> candidateEvaluations = evaluateWithAdapter(tasks, raw, adapter);
        metrics.put(EVALUATE_SECONDS, evaluateSeconds + seconds(evaluating));
        PromotionGate.Decision decision =
            gate.decide(
                candidateEvaluations, servingEvaluations, unseenProbe(tasks, feedback), o.seed());
        candidateEvaluations.forEach((name, e) -> metrics.putAll(e.prefixed(name + "/")));
        metrics.putAll(decision.metrics());
        NegativeFlips flips = flips(servingEvaluations, candidateEvaluations);
        metrics.put(ANSWERED, (double) flips.answered());
        metrics.put(NEGATIVE_FLIPS, flips.share());
        RoundRecord record =
            new RoundRecord(
                decision.promote(),
                decision.reason(),
                decision.outcome().name(),
                "adapter-" + tuner.loss().name(),
                tuner.loss().config(),
                o.toMap(),
                examples.size(),
                trainerId);
        ModelBundle candidate =
            QueryAdapters.bundle(serving, adapter, record.toManifest(), metrics);
        return new Outcome(
            decision,
            candidate,
            candidateEvaluations.values().iterator().next(),
            firstServing,
            Map.copyOf(metrics),
            examples.size(),
            trained.lastLoss(),
            seconds(started),
            // The candidate embeds as the serving model does: its vectors are the same.
            cache.renamed(version, capacity));
      } catch (LazyEncoder.OpenFailed e) {
        throw e.getCause();
      }
    }
  }

  /**
   * Every task scored with the model's vectors for documents and, for retrieval tasks, the
   * adapter's mapping of them for queries (none: the model's own).
   */
  private static Map<String, Evaluation> evaluateWithAdapter(
      Map<String, Evaluator> tasks, Embedder raw, QueryBridge adapter) {
    Embedder queries =
        adapter == null
            ? raw
            : texts -> {
              float[][] v = raw.embed(texts);
              for (int i = 0; i < v.length; i++) {
                v[i] = adapter.apply(v[i]);
              }
              return v;
            };
    Map<String, Evaluation> out = new LinkedHashMap<>();
    tasks.forEach(
        (name, task) ->
            out.put(
                name,
                task instanceof RetrievalEvaluator retrieval
                    ? retrieval.evaluate(raw, queries)
                    : task.evaluate(raw)));
    return out;
  }

  /** A round that made no candidate to compare: nothing trained, or training diverged. */
  private static Outcome rejected(
      String reason, Evaluation serving, Map<String, Double> metrics, int pairs, long started) {
    return new Outcome(
        PromotionGate.Decision.invalid(reason, serving.primaryValue()),
        null,
        null,
        serving,
        metrics,
        pairs,
        Double.NaN,
        seconds(started),
        null);
  }

  /** Negative flips from the serving model to {@code other}, over every task with queries. */
  private static NegativeFlips flips(
      Map<String, Evaluation> serving, Map<String, Evaluation> other) {
    NegativeFlips all = new NegativeFlips(0, 0);
    for (Map.Entry<String, Evaluation> e : other.entrySet()) {
      all = all.plus(NegativeFlips.of(serving.get(e.getKey()).perQuery(), e.getValue().perQuery()));
    }
    return all;
  }

  /**
   * Fits the promoted candidate's query bridge into the serving version's space on the texts both
   * embedded, and scores it on the retrieval tasks whose texts were all recorded; null when too few
   * texts were shared (the metrics say how many).
   */
  private QueryBridge bridge(
      Map<String, Evaluator> tasks,
      Map<String, Evaluation> servingEvaluations,
      Map<String, float[]> servingTexts,
      Map<String, float[]> candidateTexts,
      String servingVersion,
      String version,
      Map<String, Double> metrics) {
    List<float[]> x = new ArrayList<>();
    List<float[]> y = new ArrayList<>();
    servingTexts.forEach(
        (text, v) -> {
          float[] c = candidateTexts.get(text);
          if (c != null) {
            x.add(c);
            y.add(v);
          }
        });
    metrics.put(BRIDGE_TEXTS, (double) x.size());
    if (x.size() < BridgeFitter.MIN_TEXTS) {
      return null;
    }
    QueryBridge bridge =
        BridgeFitter.of(bridgeMethod)
            .fit(version, servingVersion, x.toArray(float[][]::new), y.toArray(float[][]::new));
    metrics.put(BRIDGE_COSINE, bridge.fit().cosine());
    metrics.put(BRIDGE_IDENTITY_COSINE, bridge.fit().identityCosine());
    metrics.put(BRIDGE_FIT_SECONDS, bridge.fit().seconds());
    Map<String, Evaluation> bridged = new LinkedHashMap<>();
    for (Map.Entry<String, Evaluator> task : tasks.entrySet()) {
      if (task.getValue() instanceof RetrievalEvaluator retrieval) {
        Embedder documents = recordedOnly(servingTexts);
        Embedder queries = recordedOnly(candidateTexts);
        try {
          bridged.put(
              task.getKey(),
              retrieval.evaluate(
                  documents,
                  texts -> {
                    float[][] v = queries.embed(texts);
                    for (int i = 0; i < v.length; i++) {
                      v[i] = bridge.apply(v[i]);
                    }
                    return v;
                  }));
        } catch (NotRecorded e) {
          // more evaluation texts than recorded: the bridge is fitted, not scored
        }
      }
    }
    if (!bridged.isEmpty()) {
      String first = bridged.keySet().iterator().next();
      metrics.put(BRIDGE_PRIMARY, bridged.get(first).primaryValue());
      metrics.put(BRIDGE_NEGATIVE_FLIPS, flips(servingEvaluations, bridged).share());
    }
    return bridge;
  }

  /** The recorded vectors of texts; {@link NotRecorded} for a text not recorded. */
  private static Embedder recordedOnly(Map<String, float[]> recorded) {
    return texts -> {
      float[][] out = new float[texts.size()][];
      for (int i = 0; i < out.length; i++) {
        float[] v = recorded.get(texts.get(i));
        if (v == null) {
          throw new NotRecorded();
        }
        out[i] = v.clone();
      }
      return out;
    };
  }

  /** A text of an evaluation was not among the recorded ones. */
  private static final class NotRecorded extends RuntimeException {
    NotRecorded() {
      super(null, null, false, false);
    }
  }

  /**
   * The unseen-document probe: per retrieval task, the queries whose relevant documents are not
   * among the texts of {@code feedback} (the round trained on none of them).
   */
  private static Map<String, Set<String>> unseenProbe(
      Map<String, Evaluator> tasks, List<Feedback> feedback) {
    Set<String> touched = new HashSet<>();
    for (Feedback f : feedback) {
      touched.add(f.candidate());
    }
    Map<String, Set<String>> out = new LinkedHashMap<>();
    tasks.forEach(
        (name, task) -> {
          if (task instanceof RetrievalEvaluator retrieval) {
            out.put(name, retrieval.queriesWithoutRelevantAmong(touched));
          }
        });
    return out;
  }

  /** Texts embedded so far for the round's evaluations, from the per-task counts. */
  private static double embedded(Map<String, Double> metrics, Map<String, Evaluator> tasks) {
    double n = 0;
    for (String task : tasks.keySet()) {
      n += metrics.getOrDefault(servingEmbedded(task), 0.0);
      n += metrics.getOrDefault(candidateEmbedded(task), 0.0);
    }
    return n;
  }

  /**
   * A serving encoder opened on the first text it has to embed: split above layer {@code split}
   * through {@code store} when both are given and the model can be split, else whole.
   */
  private static final class LazyEncoder implements Embedder, AutoCloseable {
    private final ModelBundle bundle;
    private final int split;
    private final HiddenStateStore store;
    private SentenceEncoder encoder;
    private SplitEncoder splitEncoder;

    LazyEncoder(ModelBundle bundle, int split, HiddenStateStore store) {
      this.bundle = bundle;
      this.split = split;
      this.store = store;
    }

    @Override
    public float[][] embed(List<String> texts) {
      if (encoder == null && splitEncoder == null) {
        open();
      }
      if (splitEncoder != null) {
        return splitEncoder.embed(texts);
      }
      return encoder.encode(texts).stream().map(SentenceEmbedding::vector).toArray(float[][]::new);
    }

    private void open() {
      if (store != null && split > 0) {
        try {
          splitEncoder = SplitEncoder.open(bundle, split, store, EncoderOptions.defaults());
          return;
        } catch (InvalidBundleException e) {
          // e.g. a quantised serving model: evaluated whole, as it serves
        }
      }
      try {
        encoder = SentenceEncoder.open(bundle, EncoderOptions.defaults());
      } catch (InvalidBundleException e) {
        throw new OpenFailed(e);
      }
    }

    /** Texts whose lower layers this encoder computed (0 unless split). */
    long lowerComputed() {
      return splitEncoder == null ? 0 : splitEncoder.lowerComputed();
    }

    /** Releases the sessions; a later text opens them again. Idempotent. */
    @Override
    public void close() {
      if (encoder != null) {
        encoder.close();
        encoder = null;
      }
      if (splitEncoder != null) {
        splitEncoder.close();
        splitEncoder = null;
      }
    }

    /** The bundle could not be opened, carried out of {@link Evaluator#evaluate}. */
    static final class OpenFailed extends RuntimeException {
      OpenFailed(InvalidBundleException cause) {
        super(cause);
      }

      @Override
      public synchronized InvalidBundleException getCause() {
        return (InvalidBundleException) super.getCause();
      }
    }
  }

  private static double seconds(long started) {
    return (System.nanoTime() - started) / 1e9;
  }
}
