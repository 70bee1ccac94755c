package io.twinstream.trainer.online;

import io.twinstream.encoder.bridge.AdapterTrainer;
import io.twinstream.encoder.bridge.BridgeFitter;
import io.twinstream.encoder.bridge.BridgeMethod;
import io.twinstream.trainer.TrainingOptions;
import java.io.Serializable;

/**
 * What a {@link ContinuousTrainer} needs to know, each part validated where it is built (the Flink
 * job reads them from its {@code trainer.*} options).
 *
 * @param capacity replay buffer capacity (training side)
 * @param holdoutShare share of anchors held out for evaluation
 * @param halfLife recency half-life of sampling, in pairs received
 * @param sampleSize the most pairs a round trains on (its time follows them)
 * @param replayShare the share of a round's sample replayed from what earlier versions learnt: a
 *     round trains on every training pair that arrived since the serving version was trained (at
 *     most {@code sampleSize × (1 - replayShare)}, the newest) and on as many older ones drawn
 *     recency-weighted as make them {@code replayShare} of the sample ({@link #sampleFor}); 1 = a
 *     recency-weighted draw of {@code sampleSize} from the whole buffer
 * @param trigger when a round starts
 * @param loss the loss's name ({@code mnrl}, {@code mnrl-symmetric})
 * @param training optimiser options of a round
 * @param gate the promotion gate
 * @param versionPrefix candidates are {@code PREFIX-NNNN}
 * @param seed round n samples and shuffles with {@code seed + n}
 * @param initialModel what serves while the registry has no {@code CURRENT}: a built-in name or a
 *     bundle directory ({@code registry} = the registry must have one)
 * @param trainerId this trainer's identity, recorded in every candidate it makes: a version made by
 *     another trainer (sharing the version prefix) is never taken for one of its own rounds
 * @param retry how a round that failed on I/O is tried again
 * @param vectorCacheSize the most evaluation vectors of the serving version kept from round to
 *     round (0 = none: every round embeds every evaluation text with both models)
 * @param negativeGuard clicks without a skipped result get a hard negative mined from the serving
 *     model, scoring below this share of the click's cosine ({@link HardNegativeMiner}); 0 = none
 * @param hiddenStateCacheSize with frozen lower layers, the most evaluation texts whose hidden
 *     states at the top of those layers are kept on disk from round to round, so that a candidate
 *     computes only the layers it trained ({@link FineTuningRound#withHiddenStates}); 0 = none
 * @param bridgeMethod how a promoted candidate's query bridge into the serving version's space is
 *     fitted ({@link FineTuningRound#withBridge}); null = no bridge
 * @param bridgeTexts the most evaluation texts embedded by both versions a bridge is fitted on
 * @param mode what a round trains: the model ({@link TrainingMode#FULL}) or a query adapter
 * @param adapter how an adapter round trains its adapter (its seed is the round's)
 */
public record TrainerSettings(
    int capacity,
    double holdoutShare,
    double halfLife,
    int sampleSize,
    double replayShare,
    TrainingTrigger trigger,
    String loss,
    TrainingOptions training,
    PromotionGate gate,
    String versionPrefix,
    long seed,
    String initialModel,
    String trainerId,
    RoundRetry retry,
    int vectorCacheSize,
    double negativeGuard,
    int hiddenStateCacheSize,
    BridgeMethod bridgeMethod,
    int bridgeTexts,
    TrainingMode mode,
    AdapterTrainer adapter)
    implements Serializable {

  private static final long serialVersionUID = 5L;

  /**
   * The bridge's defaults: a rotation (Procrustes) on at most 5,000 texts. Chosen on the demo's
   * tasks (docs/continuous-learning.md, "Query bridges"): least squares fits the old version's
   * vectors closest and so maps a query back to what the old version made of it, undoing most of
   * what the new version learnt; a rotation keeps the new version's geometry.
   */
  public static final BridgeMethod DEFAULT_BRIDGE = BridgeMethod.PROCRUSTES;

  public static final int DEFAULT_BRIDGE_TEXTS = 5_000;

  public TrainerSettings {
    if (!(replayShare >= 0 && replayShare <= 1)) {
      throw new IllegalArgumentException("replayShare must be in [0, 1], got " + replayShare);
    }
    if (vectorCacheSize < 0) {
      throw new IllegalArgumentException("vectorCacheSize must be >= 0, got " + vectorCacheSize);
    }
    if (hiddenStateCacheSize < 0) {
      throw new IllegalArgumentException(
          "hiddenStateCacheSize must be >= 0, got " + hiddenStateCacheSize);
    }
    java.util.Objects.requireNonNull(mode, "mode");
    java.util.Objects.requireNonNull(adapter, "adapter");
    if (bridgeMethod != null && bridgeTexts < BridgeFitter.MIN_TEXTS) {
      throw new IllegalArgumentException(
          "bridgeTexts must be >= " + BridgeFitter.MIN_TEXTS + ", got " + bridgeTexts);
    }
    if (!(negativeGuard >= 0 && negativeGuard <= 1)) {
      throw new IllegalArgumentException("negativeGuard must be in [0, 1], got " + negativeGuard);
    }
  }

  /**
   * A round's sample when {@code fresh} training pairs arrived since the serving version was
   * trained: its size and how many of the newest pairs it holds as they are (the rest is replayed).
   * After a rejection the serving version has still not learnt from the last round's pairs, so the
   * next sample holds them too and grows, up to {@code sampleSize}.
   */
  public Sample sampleFor(int fresh) {
    if (replayShare >= 1) {
      return new Sample(sampleSize, 0);
    }
    int newest = (int) Math.min(fresh, Math.round(sampleSize * (1 - replayShare)));
    int size = (int) Math.min(sampleSize, Math.round(newest / (1 - replayShare)));
    return new Sample(size, newest);
  }

  /** How many pairs a round draws, and how many of them are the newest, taken as they are. */
  public record Sample(int size, int newest) {}
}
