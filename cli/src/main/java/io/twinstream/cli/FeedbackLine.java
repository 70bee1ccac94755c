package io.twinstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.records.FeedbackPair;
import java.time.Instant;

/**
 * One JSONL line of feedback for {@code produce --feedback}: {@code {"anchor", "candidate",
 * "label"}} with optional {@code "source"}, {@code "anchorId"}, {@code "candidateId"} and {@code
 * "eventTime"} (epoch millis), or the reason it was rejected.
 */
record FeedbackLine(FeedbackPair pair, String rejection) {

  private static final ObjectMapper JSON = new ObjectMapper();

  static FeedbackLine parse(String raw, Instant now) {
    JsonNode node;
    try {
      node = JSON.readTree(raw);
    } catch (JsonProcessingException e) {
      return rejected("not valid JSON (" + e.getOriginalMessage() + ")");
    }
    if (node == null || !node.isObject()) {
      return rejected("expected a JSON object");
    }
    String anchor = text(node, "anchor");
    String candidate = text(node, "candidate");
    if (anchor == null || anchor.isBlank()) {
      return rejected("missing or empty string field 'anchor'");
    }
    if (candidate == null || candidate.isBlank()) {
      return rejected("missing or empty string field 'candidate'");
    }
    JsonNode label = node.get("label");
    if (label == null || !label.isNumber()) {
      return rejected("field 'label' must be a number in [0, 1]");
    }
    double value = label.asDouble();
    if (!(value >= 0 && value <= 1)) {
      return rejected("label " + value + " is outside [0, 1]");
    }
    JsonNode time = node.get("eventTime");
    if (time != null && !time.isIntegralNumber()) {
      return rejected("field 'eventTime' must be epoch milliseconds");
    }
    String source = text(node, "source");
    return new FeedbackLine(
        FeedbackPair.newBuilder()
            .setAnchor(anchor)
            .setCandidate(candidate)
            .setLabel((float) value)
            .setSource(source == null ? "unknown" : source)
            .setEventTime(time == null ? now : Instant.ofEpochMilli(time.asLong()))
            .setAnchorId(text(node, "anchorId"))
            .setCandidateId(text(node, "candidateId"))
            .build(),
        null);
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  private static FeedbackLine rejected(String reason) {
    return new FeedbackLine(null, reason);
  }
}
