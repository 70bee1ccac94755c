package io.twinstream.trainer.online;

import io.twinstream.encoder.BundleManifest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a continuous-learning round decided and how it trained, as its candidate's manifest keeps it
 * (the {@code training} object of {@code manifest.json}): a round that finished before a restart is
 * read back from here instead of being trained again.
 *
 * @param promote whether the gate let the candidate serve
 * @param gate the gate's reason, with its numbers
 * @param outcome the gate's {@link PromotionGate.Outcome} by name (empty for rounds recorded before
 *     the gate had outcomes)
 * @param loss the loss's name
 * @param lossConfig the loss's hyper-parameters
 * @param options the training options
 * @param pairs training examples the round used
 * @param trainer the identity of the trainer that ran the round (empty: unknown, for bundles made
 *     before trainers had one)
 */
public record RoundRecord(
    boolean promote,
    String gate,
    String outcome,
    String loss,
    Map<String, Object> lossConfig,
    Map<String, Object> options,
    int pairs,
    String trainer) {

  private static final String PROMOTE = "promote";
  private static final String GATE = "gate";
  private static final String OUTCOME = "outcome";
  private static final String LOSS = "loss";
  private static final String LOSS_CONFIG = "lossConfig";
  private static final String OPTIONS = "options";
  private static final String PAIRS = "pairs";
  private static final String TRAINER = "trainer";

  public RoundRecord {
    lossConfig = Map.copyOf(lossConfig);
    options = Map.copyOf(options);
    trainer = trainer == null ? "" : trainer;
    outcome = outcome == null ? "" : outcome;
  }

  /** This record, made by trainer {@code id}. */
  public RoundRecord byTrainer(String id) {
    return new RoundRecord(promote, gate, outcome, loss, lossConfig, options, pairs, id);
  }

  /** The {@code training} object of the candidate's manifest. */
  public Map<String, Object> toManifest() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(LOSS, loss);
    out.put(LOSS_CONFIG, lossConfig);
    out.put(OPTIONS, options);
    out.put(PAIRS, pairs);
    out.put(GATE, gate);
    out.put(OUTCOME, outcome);
    out.put(PROMOTE, promote);
    out.put(TRAINER, trainer);
    return out;
  }

  /**
   * The round recorded in {@code manifest}, or empty when the bundle was not made by a round (no
   * decision in its {@code training} object).
   */
  @SuppressWarnings("unchecked")
  public static Optional<RoundRecord> of(BundleManifest manifest) {
    Map<String, Object> t = manifest.training();
    if (t == null || !(t.get(PROMOTE) instanceof Boolean promote)) {
      return Optional.empty();
    }
    Object lossConfig = t.get(LOSS_CONFIG);
    Object options = t.get(OPTIONS);
    return Optional.of(
        new RoundRecord(
            promote,
            String.valueOf(t.getOrDefault(GATE, "")),
            String.valueOf(t.getOrDefault(OUTCOME, "")),
            String.valueOf(t.getOrDefault(LOSS, "")),
            lossConfig instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of(),
            options instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of(),
            t.get(PAIRS) instanceof Number n ? n.intValue() : 0,
            String.valueOf(t.getOrDefault(TRAINER, ""))));
  }
}
