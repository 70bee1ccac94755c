package io.twinstream.cli.demo;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;

/**
 * Every version scored again at the end of the run on parts of the test queries: {@code all},
 * {@code seen} (one of whose relevant documents users clicked), {@code unseen}, and each of the
 * task's test sets when it has several.
 *
 * @param clickedDocuments documents users clicked during the run
 * @param queries test queries per part
 * @param versions each version's mean test nDCG@10 per part
 */
@JsonPropertyOrder({"clickedDocuments", "queries", "versions"})
public record ClickScores(int clickedDocuments, Map<String, Integer> queries, List<Row> versions) {

  /** No scores (the demo did not get there). */
  static ClickScores none() {
    return new ClickScores(0, Map.of(), List.of());
  }

  /** A version's scores: {@code version}, {@code status}, then one field per part. */
  @JsonPropertyOrder({"version", "status"})
  public static final class Row {
    private final String version;
    private final String status;
    private final Map<String, Double> parts;

    Row(String version, String status, Map<String, Double> parts) {
      this.version = version;
      this.status = status;
      this.parts = parts;
    }

    @JsonProperty
    public String version() {
      return version;
    }

    @JsonProperty
    public String status() {
      return status;
    }

    /** Mean test nDCG@10 per part (null where not finite). */
    @JsonAnyGetter
    public Map<String, Double> parts() {
      return parts;
    }
  }
}
