package io.twinstream.streamtrainer;

import io.twinstream.embedder.JobOptions;
import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.bridge.AdapterTrainer;
import io.twinstream.encoder.bridge.BridgeMethod;
import io.twinstream.trainer.BatchSampler;
import io.twinstream.trainer.GradientCache;
import io.twinstream.trainer.TrainingOptions;
import io.twinstream.trainer.eval.SampledCorpus;
import io.twinstream.trainer.loss.Losses;
import io.twinstream.trainer.online.HardNegativeMiner;
import io.twinstream.trainer.online.PromotionGate;
import io.twinstream.trainer.online.RoundRetry;
import io.twinstream.trainer.online.TrainerSettings;
import io.twinstream.trainer.online.TrainingMode;
import io.twinstream.trainer.online.TrainingTrigger;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * Settings of the trainer (continuous learning), with defaults and descriptions. In the embedding
 * job it is off unless {@link #ENABLED}; the trainer job ({@link TrainerJob}) always runs it.
 * Either way it needs {@link JobOptions#MODEL_REGISTRY}, where rounds publish. {@link #settings}
 * turns them into the core's {@link TrainerSettings}.
 */
public final class TrainerOptions {

  private TrainerOptions() {}

  public static final ConfigOption<Boolean> ENABLED =
      ConfigOptions.key("trainer.enabled")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Run the trainer: read feedback pairs, fine-tune the serving model in rounds, and "
                  + "promote candidates that pass the gate. Needs model.registry.");

  public static final ConfigOption<String> SLOT_SHARING_GROUP =
      ConfigOptions.key("trainer.slot-sharing-group")
          .stringType()
          .defaultValue("trainer")
          .withDescription(
              "Flink slot-sharing group of the trainer's operators: they take a task slot of their own "
                  + "instead of sharing the embedder's, so a cluster can give training its own cores (or a task manager "
                  + "with a GPU, through fine-grained resource management).");

  public static final ConfigOption<String> FEEDBACK_TOPIC =
      ConfigOptions.key("topic.feedback-pairs")
          .stringType()
          .defaultValue("feedback-pairs")
          .withDescription(
              "Topic of Avro FeedbackPair records the trainer learns from; undecodable or invalid "
                  + "ones go to the dead-letter topic.");

  public static final ConfigOption<Integer> BUFFER_CAPACITY =
      ConfigOptions.key("trainer.buffer.capacity")
          .intType()
          .defaultValue(20_000)
          .withDescription(
              "Most feedback pairs kept for training in the replay buffer (the oldest go first); the "
                  + "held-out side keeps capacity × holdout-share / (1 − holdout-share).");

  public static final ConfigOption<Double> HOLDOUT_SHARE =
      ConfigOptions.key("trainer.holdout-share")
          .doubleType()
          .defaultValue(0.2)
          .withDescription(
              "Share of anchors (queries) whose feedback is held out for evaluating candidates, "
                  + "never trained on; decided by a hash of the anchor text, so stable across restarts.");

  public static final ConfigOption<Double> HALF_LIFE =
      ConfigOptions.key("trainer.half-life")
          .doubleType()
          .defaultValue(5_000.0)
          .withDescription(
              "Recency weighting of sampling: a pair's weight halves every this many pairs received.");

  public static final ConfigOption<Integer> SAMPLE_SIZE =
      ConfigOptions.key("trainer.sample-size")
          .intType()
          .defaultValue(1_200)
          .withDescription(
              "The most feedback pairs a round trains on (its time follows them): every training"
                  + " pair that arrived since the serving version was trained, and a replayed share"
                  + " of older ones (trainer.replay-share). With trainer.every-pairs 500 a round"
                  + " after a promotion trains on 400 new pairs and 171 replayed; after a rejection"
                  + " the next one also on the rejected round's pairs, up to this many.");

  public static final ConfigOption<Double> REPLAY_SHARE =
      ConfigOptions.key("trainer.replay-share")
          .doubleType()
          .defaultValue(0.3)
          .withDescription(
              "Share of a round's sample replayed from what earlier versions learnt, drawn"
                  + " recency-weighted (trainer.half-life); the rest are the pairs the serving"
                  + " version has not learnt from. 0 = those only, 1 = a recency-weighted draw of"
                  + " trainer.sample-size from the whole buffer.");

  public static final ConfigOption<Long> EVERY_PAIRS =
      ConfigOptions.key("trainer.every-pairs")
          .longType()
          .defaultValue(500L)
          .withDescription("A round starts after this many new feedback pairs.");

  public static final ConfigOption<Duration> EVERY =
      ConfigOptions.key("trainer.every")
          .durationType()
          .defaultValue(Duration.ofMinutes(10))
          .withDescription(
              "A round also starts when this long has passed since the last one and at least "
                  + "trainer.min-pairs new pairs arrived.");

  public static final ConfigOption<Long> MIN_PAIRS =
      ConfigOptions.key("trainer.min-pairs")
          .longType()
          .defaultValue(32L)
          .withDescription("Fewest new pairs for a time-triggered round.");

  public static final ConfigOption<String> LOSS =
      ConfigOptions.key("trainer.loss")
          .stringType()
          .defaultValue("mnrl")
          .withDescription(
              "Loss of a round (a name twinstream train accepts for pairs or triplets: mnrl, "
                  + "mnrl-symmetric).");

  public static final ConfigOption<Integer> EPOCHS =
      ConfigOptions.key("trainer.epochs")
          .intType()
          .defaultValue(1)
          .withDescription("Passes over a round's examples.");

  public static final ConfigOption<Integer> BATCH_SIZE =
      ConfigOptions.key("trainer.batch-size")
          .intType()
          .defaultValue(32)
          .withDescription("Examples per optimiser step (MNRL: in-batch negatives).");

  public static final ConfigOption<String> BATCH_SAMPLER =
      ConfigOptions.key("trainer.batch-sampler")
          .stringType()
          .defaultValue("no-duplicates")
          .withDescription(
              "How a round's shuffled examples are cut into batches: no-duplicates (a batch never"
                  + " holds the same text twice: with in-batch negatives a paragraph clicked for two"
                  + " questions is otherwise a negative of its own), or shuffle.");

  public static final ConfigOption<Double> LEARNING_RATE =
      ConfigOptions.key("trainer.learning-rate")
          .doubleType()
          .defaultValue(5e-5)
          .withDescription(
              "Peak AdamW learning rate of a round (10% warm-up, then linear decay). Chosen on real"
                  + " data (docs/continuous-learning.md, the SQuAD task): with 2 frozen layers one"
                  + " round over 1,500 clicks lifts test nDCG@10 by 1.9 points at 5e-5, 2.1 at 1e-4"
                  + " (within the noise of each other; the lower rate is the safer one against"
                  + " forgetting), and 1.5 with every layer trained at 2e-5.");

  public static final ConfigOption<Integer> ACTIVATION_BUDGET =
      ConfigOptions.key("trainer.activation-budget")
          .intType()
          .defaultValue(768)
          .withDescription(
              "MiB of activations a training step may keep for backward (estimated); a larger step"
                  + " runs with a gradient cache in mini-batches within it. Measured on 256-token"
                  + " documents: 384 keeps a steady-state round within 3 GB with -Xmx1g, ~20% slower"
                  + " (docs/benchmarks.md §9).");

  public static final ConfigOption<Integer> FROZEN_LAYERS =
      ConfigOptions.key("trainer.frozen-layers")
          .intType()
          .defaultValue(2)
          .withDescription(
              "The embeddings and this many of the lowest transformer layers are not trained; the"
                  + " gradient cache's second pass and backward then run only the layers above, and"
                  + " the round's evaluation reuses their hidden states (trainer.eval.hidden-states)."
                  + " 0 = train all. Chosen on real data (docs/continuous-learning.md, the SQuAD"
                  + " task): at 5e-5, 0, 1 and 2 frozen layers lift test nDCG@10 by 2.4, 2.1 and 1.9"
                  + " points in one round over 1,500 clicks (within the noise of each other), 2"
                  + " training 1.2x faster than 0; 4 frozen at 1e-4 lift it by only 1.1.");

  public static final ConfigOption<Double> BASE_DECAY =
      ConfigOptions.key("trainer.base-decay")
          .doubleType()
          .defaultValue(0.0)
          .withDescription(
              "Decay toward the weights a round starts from (L2-SP): each step moves every weight "
                  + "back by learning-rate x this x (w - w0), so that a round learns the feedback "
                  + "without drifting from what the model knew; 0 = off.");

  public static final ConfigOption<Double> NEGATIVE_GUARD =
      ConfigOptions.key("trainer.hard-negatives.guard")
          .doubleType()
          .defaultValue(HardNegativeMiner.DEFAULT_GUARD)
          .withDescription(
              "Clicks that came without a skipped result get a hard negative mined from the serving "
                  + "model: the round's document it ranks highest for the query that is not clicked "
                  + "and scores below this share of the clicked one's cosine (a guard against false "
                  + "negatives); 0 = mine none (such clicks then train with in-batch negatives only).");

  public static final ConfigOption<PromotionGate.Policy> GATE_POLICY =
      ConfigOptions.key("trainer.gate.policy")
          .enumType(PromotionGate.Policy.class)
          .defaultValue(PromotionGate.Policy.BETTER)
          .withDescription(
              "What a candidate must show over all evaluation queries to be promoted: BETTER ="
                  + " significantly better (its confidence interval above zero), NOT_WORSE = not"
                  + " significantly worse. Either way a candidate that forgets (see"
                  + " trainer.gate.max-forgetting) is not promoted.");

  public static final ConfigOption<Double> GATE_CONFIDENCE =
      ConfigOptions.key("trainer.gate.confidence")
          .doubleType()
          .defaultValue(PromotionGate.DEFAULT_CONFIDENCE)
          .withDescription(
              "Two-sided confidence of the gate's paired bootstrap intervals over the per-query"
                  + " nDCG@10 differences (candidate minus serving, on the held-out feedback and the"
                  + " fixed set): a candidate is promoted only when the whole interval is above"
                  + " zero; a difference inside it is 'no change'.");

  public static final ConfigOption<Double> GATE_MIN_IMPROVEMENT =
      ConfigOptions.key("trainer.gate.min-improvement")
          .doubleType()
          .defaultValue(0.0)
          .withDescription(
              "The least mean nDCG@10 improvement worth a promotion, on top of its significance;"
                  + " 0 = any significant improvement.");

  public static final ConfigOption<Double> GATE_MAX_FORGETTING =
      ConfigOptions.key("trainer.gate.max-forgetting")
          .doubleType()
          .defaultValue(PromotionGate.DEFAULT_MAX_FORGETTING)
          .withDescription(
              "The largest mean nDCG@10 loss on the unseen-document probe (evaluation queries whose"
                  + " documents no training pair of the round touched) that still lets a candidate"
                  + " through; a significant loss there always blocks it.");

  public static final ConfigOption<String> EVAL_CORPUS =
      ConfigOptions.key("trainer.eval.corpus")
          .stringType()
          .defaultValue("")
          .withDescription(
              "Optional fixed evaluation set, BEIR layout: corpus JSONL (with trainer.eval.queries and "
                  + "trainer.eval.qrels). Candidates must pass the gate on it as well as on held-out feedback.");

  public static final ConfigOption<String> EVAL_QUERIES =
      ConfigOptions.key("trainer.eval.queries")
          .stringType()
          .defaultValue("")
          .withDescription("Queries JSONL of the fixed evaluation set.");

  public static final ConfigOption<String> EVAL_QRELS =
      ConfigOptions.key("trainer.eval.qrels")
          .stringType()
          .defaultValue("")
          .withDescription("Relevance judgements TSV of the fixed evaluation set.");

  /** How the fixed evaluation set's corpus is ranked. */
  public enum EvalCandidates {
    /** Each query's relevant documents, its BM25 top documents and a random sample. */
    SAMPLED,
    /** The whole corpus. */
    FULL
  }

  public static final ConfigOption<EvalCandidates> EVAL_CANDIDATES =
      ConfigOptions.key("trainer.eval.candidates")
          .enumType(EvalCandidates.class)
          .defaultValue(EvalCandidates.SAMPLED)
          .withDescription(
              "What the fixed evaluation set ranks: SAMPLED = each query's relevant documents, its "
                  + "trainer.eval.lexical-top-k best by BM25 and trainer.eval.random-documents at "
                  + "random (cost follows the queries, not the corpus); FULL = the whole corpus.");

  public static final ConfigOption<Integer> EVAL_LEXICAL_TOP_K =
      ConfigOptions.key("trainer.eval.lexical-top-k")
          .intType()
          .defaultValue(SampledCorpus.Sampling.DEFAULTS.lexicalTopK())
          .withDescription(
              "SAMPLED: documents per evaluation query chosen by BM25 (hard negatives). 3 lets the"
                  + " gate afford 500 queries at the cost 157 had with 10.");

  public static final ConfigOption<Integer> EVAL_RANDOM_DOCUMENTS =
      ConfigOptions.key("trainer.eval.random-documents")
          .intType()
          .defaultValue(SampledCorpus.Sampling.DEFAULTS.randomDocuments())
          .withDescription("SAMPLED: documents drawn at random from the whole corpus.");

  public static final ConfigOption<Integer> EVAL_CACHE_SIZE =
      ConfigOptions.key("trainer.eval.cache-size")
          .intType()
          .defaultValue(50_000)
          .withDescription(
              "Evaluation vectors of the serving version kept from round to round (about 1.5 KB each "
                  + "for 384 dimensions), so that only the candidate embeds the evaluation texts; a "
                  + "promoted candidate's become the serving version's. 0 = keep none.");

  public static final ConfigOption<Integer> EVAL_HIDDEN_STATES =
      ConfigOptions.key("trainer.eval.hidden-states")
          .intType()
          .defaultValue(4_096)
          .withDescription(
              "With trainer.frozen-layers > 0: evaluation texts whose hidden states at the top of the"
                  + " frozen layers are kept from round to round in a file under java.io.tmpdir"
                  + " (hidden size x 4 bytes per token: 393 KB for a 256-token text of MiniLM, 1.6"
                  + " GB at most by default), so that a candidate computes only the layers it"
                  + " trained. Measured (docs/benchmarks.md §9): with 4 of 6 frozen a candidate's"
                  + " evaluation is 2.8x faster and a 500-click round on 256-token documents takes"
                  + " 108 s instead of 156 s. 0 = keep none.");

  public static final ConfigOption<String> VERSION_PREFIX =
      ConfigOptions.key("trainer.version-prefix")
          .stringType()
          .defaultValue("ft")
          .withDescription(
              "Candidates are versioned PREFIX-NNNN by round number (ft-0001, ft-0002, ...).");

  public static final ConfigOption<String> TRAINER_ID =
      ConfigOptions.key("trainer.id")
          .stringType()
          .defaultValue("")
          .withDescription(
              "This trainer's identity, recorded in every candidate it makes; a version of the same "
                  + "name made by another trainer is never taken for one of its rounds. Empty = the job's "
                  + "transactional-id.prefix (unique per job).");

  public static final ConfigOption<Integer> RETRY_ATTEMPTS =
      ConfigOptions.key("trainer.retry.attempts")
          .intType()
          .defaultValue(RoundRetry.DEFAULTS.attempts())
          .withDescription(
              "Tries of a round that failed on I/O (the registry unreachable): the same round and "
                  + "sample again, waiting trainer.retry.delay, then twice as long each time (at most "
                  + "10 min); 0 = a failed round is not tried again. Other failures are never retried.");

  public static final ConfigOption<Duration> RETRY_DELAY =
      ConfigOptions.key("trainer.retry.delay")
          .durationType()
          .defaultValue(RoundRetry.DEFAULTS.firstDelay())
          .withDescription("Wait before the first try of a round that failed on I/O.");

  public static final ConfigOption<String> MODE =
      ConfigOptions.key("trainer.mode")
          .stringType()
          .defaultValue(TrainingMode.FULL.optionName())
          .withDescription(
              "What a round trains: full (a copy of the model's weights; a promoted version is "
                  + "backfilled, its query bridge serving searches meanwhile) or adapter (a query "
                  + "adapter on the serving model's vectors, kept in the candidate's bundle: the "
                  + "documents keep the vectors they have, so a promotion serves at once).");

  public static final ConfigOption<Integer> ADAPTER_EPOCHS =
      ConfigOptions.key("trainer.adapter.epochs")
          .intType()
          .defaultValue(AdapterTrainer.defaults().epochs())
          .withDescription("Adapter mode: passes over a round's examples.");

  public static final ConfigOption<Double> ADAPTER_LEARNING_RATE =
      ConfigOptions.key("trainer.adapter.learning-rate")
          .doubleType()
          .defaultValue(AdapterTrainer.defaults().learningRate())
          .withDescription("Adapter mode: Adam's learning rate for the query adapter.");

  public static final ConfigOption<Integer> ADAPTER_RANK =
      ConfigOptions.key("trainer.adapter.rank")
          .intType()
          .defaultValue(AdapterTrainer.defaults().rank())
          .withDescription(
              "Adapter mode: hidden units of the query adapter (2 x rank x dimension weights).");

  public static final ConfigOption<String> BRIDGE_METHOD =
      ConfigOptions.key("trainer.bridge.method")
          .stringType()
          .defaultValue(TrainerSettings.DEFAULT_BRIDGE.optionName())
          .withDescription(
              "How a promoted version's query bridge is fitted: a map from its vector space into "
                  + "the serving version's, fitted on the gate's evaluation texts both embedded "
                  + "and kept in its bundle (bridge.bin), through which the query server searches "
                  + "the serving version's vectors with the new version's queries until the "
                  + "backfill is cut over: least-squares, procrustes, residual, or none (no "
                  + "bridge; searches keep the old version until the cut-over).");

  public static final ConfigOption<Integer> BRIDGE_TEXTS =
      ConfigOptions.key("trainer.bridge.max-texts")
          .intType()
          .defaultValue(TrainerSettings.DEFAULT_BRIDGE_TEXTS)
          .withDescription(
              "The most evaluation texts (documents and queries, both versions' vectors kept in "
                  + "memory: 3 KB each at 384 dimensions) a query bridge is fitted on.");

  public static final ConfigOption<Long> SEED =
      ConfigOptions.key("trainer.seed")
          .longType()
          .defaultValue(42L)
          .withDescription(
              "Seed of sampling and shuffling; round n uses seed + n, so a redone round is the same.");

  /** All options, for documentation and validation. */
  public static List<ConfigOption<?>> all() {
    return List.of(
        ENABLED,
        SLOT_SHARING_GROUP,
        FEEDBACK_TOPIC,
        BUFFER_CAPACITY,
        HOLDOUT_SHARE,
        HALF_LIFE,
        SAMPLE_SIZE,
        REPLAY_SHARE,
        EVERY_PAIRS,
        EVERY,
        MIN_PAIRS,
        LOSS,
        EPOCHS,
        BATCH_SIZE,
        BATCH_SAMPLER,
        LEARNING_RATE,
        ACTIVATION_BUDGET,
        FROZEN_LAYERS,
        BASE_DECAY,
        NEGATIVE_GUARD,
        GATE_POLICY,
        GATE_CONFIDENCE,
        GATE_MIN_IMPROVEMENT,
        GATE_MAX_FORGETTING,
        EVAL_CORPUS,
        EVAL_QUERIES,
        EVAL_QRELS,
        EVAL_CANDIDATES,
        EVAL_LEXICAL_TOP_K,
        EVAL_RANDOM_DOCUMENTS,
        EVAL_CACHE_SIZE,
        EVAL_HIDDEN_STATES,
        VERSION_PREFIX,
        TRAINER_ID,
        RETRY_ATTEMPTS,
        RETRY_DELAY,
        MODE,
        ADAPTER_EPOCHS,
        ADAPTER_LEARNING_RATE,
        ADAPTER_RANK,
        BRIDGE_METHOD,
        BRIDGE_TEXTS,
        SEED);
  }

  /**
   * The core's settings, validated.
   *
   * @throws IllegalArgumentException naming the option and the value
   */
  public static TrainerSettings settings(Configuration conf) {
    validate(conf);
    Losses.byName(conf.get(LOSS));
    return new TrainerSettings(
        conf.get(BUFFER_CAPACITY),
        conf.get(HOLDOUT_SHARE),
        conf.get(HALF_LIFE),
        conf.get(SAMPLE_SIZE),
        conf.get(REPLAY_SHARE),
        new TrainingTrigger(conf.get(EVERY_PAIRS), conf.get(EVERY), conf.get(MIN_PAIRS)),
        conf.get(LOSS),
        TrainingOptions.defaults()
            .withEpochs(conf.get(EPOCHS))
            .withBatchSize(conf.get(BATCH_SIZE))
            .withBatchSampler(BatchSampler.parse(conf.get(BATCH_SAMPLER)))
            .withLearningRate(conf.get(LEARNING_RATE))
            .withGradientCache(GradientCache.AUTO, conf.get(ACTIVATION_BUDGET))
            .withBaseDecay(conf.get(BASE_DECAY))
            .withFrozenLayers(conf.get(FROZEN_LAYERS)),
        new PromotionGate(
            conf.get(GATE_POLICY),
            conf.get(GATE_CONFIDENCE),
            conf.get(GATE_MIN_IMPROVEMENT),
            conf.get(GATE_MAX_FORGETTING)),
        conf.get(VERSION_PREFIX),
        conf.get(SEED),
        conf.get(JobOptions.MODEL),
        trainerId(conf),
        new RoundRetry(conf.get(RETRY_ATTEMPTS), conf.get(RETRY_DELAY)),
        conf.get(EVAL_CACHE_SIZE),
        conf.get(NEGATIVE_GUARD),
        conf.get(EVAL_HIDDEN_STATES),
        bridgeMethod(conf),
        conf.get(BRIDGE_TEXTS),
        mode(conf),
        adapter(conf));
  }

  /** The adapter's training, from {@link #ADAPTER_RANK}, epochs and learning rate. */
  public static AdapterTrainer adapter(Configuration conf) {
    AdapterTrainer d = AdapterTrainer.defaults();
    try {
      return new AdapterTrainer(
          conf.get(ADAPTER_RANK),
          conf.get(ADAPTER_EPOCHS),
          conf.get(ADAPTER_LEARNING_RATE),
          d.scale(),
          d.batchSize(),
          d.seed());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Options trainer.adapter.*: " + e.getMessage(), e);
    }
  }

  /** {@link #MODE}'s mode. */
  public static TrainingMode mode(Configuration conf) {
    try {
      return TrainingMode.parse(conf.get(MODE));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Option " + MODE.key() + ": " + e.getMessage());
    }
  }

  /** {@link #BRIDGE_METHOD}'s method; null for {@code none}. */
  public static BridgeMethod bridgeMethod(Configuration conf) {
    String name = conf.get(BRIDGE_METHOD);
    if (name.trim().equalsIgnoreCase("none")) {
      return null;
    }
    try {
      return BridgeMethod.parse(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Option " + BRIDGE_METHOD.key() + ": " + e.getMessage() + " or none");
    }
  }

  /** How the fixed evaluation set's corpus is sampled; null = the whole corpus. */
  public static SampledCorpus.Sampling evalSampling(Configuration conf) {
    return conf.get(EVAL_CANDIDATES) == EvalCandidates.FULL
        ? null
        : new SampledCorpus.Sampling(
            conf.get(EVAL_LEXICAL_TOP_K), conf.get(EVAL_RANDOM_DOCUMENTS), conf.get(SEED));
  }

  /** {@link #TRAINER_ID}, or the job's transactional-id prefix when it is empty. */
  static String trainerId(Configuration conf) {
    String id = conf.get(TRAINER_ID).trim();
    return id.isEmpty() ? conf.get(JobOptions.TRANSACTIONAL_ID_PREFIX) : id;
  }

  /**
   * Checks values that Flink's parser accepts but the trainer cannot use.
   *
   * @throws IllegalArgumentException naming the option and the value
   */
  public static void validate(Configuration conf) {
    if (conf.get(JobOptions.MODEL_REGISTRY).isBlank()) {
      throw new IllegalArgumentException(
          "The trainer ("
              + ENABLED.key()
              + ") needs "
              + JobOptions.MODEL_REGISTRY.key()
              + ": rounds publish their candidates there");
    }
    if (conf.get(SLOT_SHARING_GROUP).isBlank()) {
      throw new IllegalArgumentException(
          "Option " + SLOT_SHARING_GROUP.key() + " must name a group");
    }
    if (conf.get(JobOptions.MODEL).equals("default-int8")) {
      throw new IllegalArgumentException(
          "Option "
              + ENABLED.key()
              + " cannot fine-tune model=default-int8 (a "
              + "quantised graph); serve 'default' or an fp32 bundle");
    }
    for (ConfigOption<Integer> o :
        List.of(BUFFER_CAPACITY, SAMPLE_SIZE, EPOCHS, BATCH_SIZE, ACTIVATION_BUDGET)) {
      if (conf.get(o) < 1) {
        throw new IllegalArgumentException(
            "Option " + o.key() + " must be at least 1, got " + conf.get(o));
      }
    }
    for (ConfigOption<Integer> o :
        List.of(
            EVAL_LEXICAL_TOP_K,
            EVAL_RANDOM_DOCUMENTS,
            EVAL_CACHE_SIZE,
            EVAL_HIDDEN_STATES,
            FROZEN_LAYERS)) {
      if (conf.get(o) < 0) {
        throw new IllegalArgumentException(
            "Option " + o.key() + " must be at least 0, got " + conf.get(o));
      }
    }
    for (ConfigOption<Long> o : List.of(EVERY_PAIRS, MIN_PAIRS)) {
      if (conf.get(o) < 1) {
        throw new IllegalArgumentException(
            "Option " + o.key() + " must be at least 1, got " + conf.get(o));
      }
    }
    double share = conf.get(HOLDOUT_SHARE);
    if (!(share > 0 && share < 1)) {
      throw new IllegalArgumentException(
          "Option " + HOLDOUT_SHARE.key() + " must be in (0, 1), got " + share);
    }
    double replay = conf.get(REPLAY_SHARE);
    if (!(replay >= 0 && replay <= 1)) {
      throw new IllegalArgumentException(
          "Option " + REPLAY_SHARE.key() + " must be in [0, 1], got " + replay);
    }
    double guard = conf.get(NEGATIVE_GUARD);
    if (!(guard >= 0 && guard <= 1)) {
      throw new IllegalArgumentException(
          "Option " + NEGATIVE_GUARD.key() + " must be in [0, 1], got " + guard);
    }
    if (!(conf.get(BASE_DECAY) >= 0 && Double.isFinite(conf.get(BASE_DECAY)))) {
      throw new IllegalArgumentException(
          "Option " + BASE_DECAY.key() + " must be >= 0, got " + conf.get(BASE_DECAY));
    }
    for (ConfigOption<Double> o : List.of(HALF_LIFE, LEARNING_RATE)) {
      if (!(conf.get(o) > 0)) {
        throw new IllegalArgumentException(
            "Option " + o.key() + " must be positive, got " + conf.get(o));
      }
    }
    for (ConfigOption<Double> o : List.of(GATE_MIN_IMPROVEMENT, GATE_MAX_FORGETTING)) {
      if (!(conf.get(o) >= 0)) {
        throw new IllegalArgumentException(
            "Option " + o.key() + " must be >= 0, got " + conf.get(o));
      }
    }
    double confidence = conf.get(GATE_CONFIDENCE);
    if (!(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException(
          "Option " + GATE_CONFIDENCE.key() + " must be in (0, 1), got " + confidence);
    }
    try {
      BatchSampler.parse(conf.get(BATCH_SAMPLER));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Option " + BATCH_SAMPLER.key() + ": " + e.getMessage());
    }
    if (conf.get(EVERY).isNegative() || conf.get(EVERY).isZero()) {
      throw new IllegalArgumentException("Option " + EVERY.key() + " must be positive");
    }
    long evalFiles =
        List.of(EVAL_CORPUS, EVAL_QUERIES, EVAL_QRELS).stream()
            .filter(o -> !conf.get(o).isBlank())
            .count();
    if (evalFiles != 0 && evalFiles != 3) {
      throw new IllegalArgumentException(
          "Options "
              + EVAL_CORPUS.key()
              + ", "
              + EVAL_QUERIES.key()
              + " and "
              + EVAL_QRELS.key()
              + " go together: give all three or none");
    }
    if (!BundleManifest.isValidVersion(conf.get(VERSION_PREFIX) + "-0001")) {
      throw new IllegalArgumentException(
          "Option "
              + VERSION_PREFIX.key()
              + " '"
              + conf.get(VERSION_PREFIX)
              + "' does not make valid versions (letters, digits, '.', '_', '-')");
    }
  }
}
