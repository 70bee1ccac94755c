package io.twinstream.trainer.online;

import io.twinstream.records.ModelUpdate;
import java.util.Map;

/**
 * How a round ended.
 *
 * @param version the candidate's version
 * @param parentVersion the version it was trained from
 * @param promoted whether it now serves
 * @param recovered whether it had finished before a restart and was only read back (not trained
 *     again)
 * @param reason the gate's reason
 * @param metrics evaluation metrics and round facts
 * @param seconds how long the round took (0 when recovered)
 * @param update the model update published for it, or null when it had been published before the
 *     restart
 * @param decision the gate's decision with its evidence, or null when the round was recovered (its
 *     numbers are then in {@code metrics})
 */
public record RoundReport(
    String version,
    String parentVersion,
    boolean promoted,
    boolean recovered,
    String reason,
    Map<String, Double> metrics,
    double seconds,
    ModelUpdate update,
    PromotionGate.Decision decision) {}
