package io.twinstream.trainer.online;

import io.twinstream.trainer.TrainingOptions;
import java.io.Serializable;

/**
 * What a {@link ContinuousTrainer} needs to know, each part validated where it is built (the Flink
 * job reads them from its {@code trainer.*} options).
 *
 * @param capacity replay buffer capacity (training side)
 * @param holdoutShare share of anchors held out for evaluation
 * @param halfLife recency half-life of sampling, in pairs received
 * @param sampleSize pairs drawn from the buffer per round
 * @param replayShare the share of them replayed from before the newest: the newest {@code
 *     sampleSize × (1 - replayShare)} training pairs are always in the sample, the rest is drawn
 *     recency-weighted from the older ones ({@link ReplayBuffer#sample(int, int, long)})
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
    int hiddenStateCacheSize)
    implements Serializable {

  private static final long serialVersionUID = 4L;

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
    if (!(negativeGuard >= 0 && negativeGuard <= 1)) {
      throw new IllegalArgumentException("negativeGuard must be in [0, 1], got " + negativeGuard);
    }
  }

  /** The newest training pairs a round's sample always holds. */
  public int newestInSample() {
    return (int) Math.round(sampleSize * (1 - replayShare));
  }
}
