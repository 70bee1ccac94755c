package io.twinstream.trainer.online;

import java.util.List;

/**
 * Everything a {@link ContinuousTrainer} needs after a restart.
 *
 * @param buffer the replay buffer's entries
 * @param round the number of the next round (or of the running one)
 * @param newPairs feedback pairs since the last round started
 * @param lastRoundMillis when the last round started (epoch millis)
 * @param roundRunning whether round {@code round} was running
 * @param announcedPromotions promotions announced before this state was taken whose {@code CURRENT}
 *     move waits for the announcement to be committed (oldest first)
 * @param servingSince the buffer's sequence number when the round that made the serving version
 *     started (0: the initial model, which learnt from nothing in the buffer)
 */
public record TrainerState(
    List<ReplayBuffer.Entry> buffer,
    long round,
    long newPairs,
    long lastRoundMillis,
    boolean roundRunning,
    List<String> announcedPromotions,
    long servingSince) {

  public TrainerState {
    buffer = List.copyOf(buffer);
    announcedPromotions = List.copyOf(announcedPromotions);
  }
}
