package io.twinstream.cli.demo;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Locale;

/**
 * The users' searches between a promotion and its cut-over: how soon after the promotion {@code
 * /v1/search} answered through the new version's query bridge, and the test queries searched
 * through it then (nDCG@10, and the share of the queries the old version answered right that it
 * does not). Numbers not measured are null, and {@code note} says why.
 *
 * @param via {@code bridge} (a fully trained version, until its cut-over) or {@code adapter} (a
 *     query adapter: for good)
 * @param seconds from the promotion read on model-updates to the first bridged answer
 * @param testNdcg the test queries through {@code /v1/search} at that moment
 * @param negativeFlips of the test queries the old version answered right, the share answered wrong
 * @param bridgedAnswers how many of those test searches went through the bridge (the others came
 *     after the cut-over)
 * @param note what happened, in words
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BridgedSearches(
    String via,
    Double seconds,
    Double testNdcg,
    Double negativeFlips,
    Integer bridgedAnswers,
    String note) {

  /** Not measured, and why. */
  static BridgedSearches not(String via, String why) {
    return new BridgedSearches(via, null, null, null, null, why);
  }

  /** The console line. */
  String line(String version) {
    if (testNdcg == null) {
      return "  " + version + ": " + note;
    }
    return String.format(
        Locale.ROOT,
        "  %s: users searched through its query %s %.1f s after the promotion%s: test nDCG@10"
            + " %.4f (%d of the test searches through it; negative flips %.3f)",
        version,
        via,
        seconds,
        via.equals("bridge") ? ", before the backfill" : ", no backfill needed",
        testNdcg,
        bridgedAnswers,
        negativeFlips);
  }
}
