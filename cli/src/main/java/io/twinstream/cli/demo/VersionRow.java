package io.twinstream.cli.demo;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.twinstream.records.ModelUpdate;
import io.twinstream.trainer.online.FineTuningRound;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One version in the demo's report: the base model, or a round's update with its gate verdict,
 * training facts and every metric, the new version's test nDCG@10, how long the round took and the
 * feedback its users gave. Numbers that are not finite are null.
 *
 * @param testNdcg nDCG@10 on the test queries (never trained or gated on)
 * @param roundSeconds from the round's feedback sent to its update (absent for the base model)
 * @param feedback what the round's users gave (absent for the base model)
 * @param bridge how the users' searches did through the promoted version's query bridge while it
 *     was backfilled (absent unless promoted)
 */
@JsonPropertyOrder({
  "version",
  "status",
  "parent",
  "test/ndcg@10",
  "pairsUsed",
  "trainSeconds",
  "lastLoss",
  "gate",
  "metrics",
  "roundSeconds",
  "feedback",
  "bridge"
})
public record VersionRow(
    String version,
    String status,
    String parent,
    @JsonProperty("test/ndcg@10") Double testNdcg,
    Double pairsUsed,
    Double trainSeconds,
    Double lastLoss,
    String gate,
    Map<String, Double> metrics,
    @JsonInclude(JsonInclude.Include.NON_NULL) Double roundSeconds,
    @JsonInclude(JsonInclude.Include.NON_NULL) RoundFeedback feedback,
    @JsonInclude(JsonInclude.Include.NON_NULL) BridgedSearches bridge) {

  /** The base model's row. */
  static VersionRow base(String version, double testNdcg) {
    return new VersionRow(
        version,
        "BASE",
        null,
        finite(testNdcg),
        null,
        null,
        null,
        null,
        Map.of(),
        null,
        null,
        null);
  }

  /** A round's row. */
  static VersionRow round(
      ModelUpdate update,
      double testNdcg,
      double roundSeconds,
      RoundFeedback feedback,
      BridgedSearches bridge) {
    Map<String, Double> m = update.getMetrics();
    Map<String, Double> all = new LinkedHashMap<>();
    m.forEach((name, value) -> all.put(name, finite(value)));
    return new VersionRow(
        update.getVersion(),
        update.getStatus().name(),
        update.getParentVersion(),
        finite(testNdcg),
        finite(m.getOrDefault(FineTuningRound.PAIRS, Double.NaN)),
        finite(m.getOrDefault(FineTuningRound.TRAIN_SECONDS, Double.NaN)),
        finite(m.getOrDefault(FineTuningRound.LAST_LOSS, Double.NaN)),
        update.getReason(),
        all,
        finite(roundSeconds),
        feedback,
        bridge);
  }

  static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
