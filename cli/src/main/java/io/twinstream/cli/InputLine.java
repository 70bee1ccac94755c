package io.twinstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One parsed input line: a text to embed with its id, or the reason the line was rejected.
 *
 * @param line 1-based line number
 * @param id the record id (never null for accepted lines)
 * @param text the text (null when rejected)
 * @param rejection why the line was rejected (null when accepted)
 * @param raw the line as read
 * @param attributes the {@code attributes} object of a JSONL line (strings only), else empty
 */
public record InputLine(
    long line,
    String id,
    String text,
    String rejection,
    String raw,
    Map<String, String> attributes) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Whether the line holds a text to embed. */
  public boolean accepted() {
    return rejection == null;
  }

  /** Parses line {@code number} of an input in {@code format}. */
  public static InputLine parse(InputFormat format, long number, String raw) {
    String lineId = Long.toString(number);
    if (format == InputFormat.TEXT) {
      return raw.isBlank()
          ? rejected(number, lineId, raw, "empty or whitespace-only text")
          : new InputLine(number, lineId, raw, null, raw, Map.of());
    }
    JsonNode node;
    try {
      node = JSON.readTree(raw);
    } catch (JsonProcessingException e) {
      return rejected(number, null, raw, "not valid JSON (" + e.getOriginalMessage() + ")");
    }
    if (node == null || node.isMissingNode()) {
      return rejected(number, null, raw, "not valid JSON (empty line)");
    }
    if (!node.isObject()) {
      return rejected(
          number,
          null,
          raw,
          "expected a JSON object, found " + node.getNodeType().name().toLowerCase());
    }
    JsonNode idNode = node.get("id");
    String id;
    if (idNode == null || idNode.isNull()) {
      id = lineId;
    } else if (idNode.isTextual() || idNode.isNumber()) {
      id = idNode.asText();
    } else {
      return rejected(number, null, raw, "field 'id' must be a string or a number");
    }
    JsonNode textNode = node.get("text");
    if (textNode == null || textNode.isNull()) {
      return rejected(number, id, raw, "missing field 'text'");
    }
    if (!textNode.isTextual()) {
      return rejected(number, id, raw, "field 'text' must be a string");
    }
    String text = textNode.asText();
    if (text.isBlank()) {
      return rejected(number, id, raw, "empty or whitespace-only text");
    }
    JsonNode attributesNode = node.get("attributes");
    Map<String, String> attributes = new LinkedHashMap<>();
    if (attributesNode != null && !attributesNode.isNull()) {
      if (!attributesNode.isObject()) {
        return rejected(number, id, raw, "field 'attributes' must be an object of strings");
      }
      var fields = attributesNode.fields();
      while (fields.hasNext()) {
        var f = fields.next();
        if (!f.getValue().isTextual()) {
          return rejected(number, id, raw, "attribute '" + f.getKey() + "' must be a string");
        }
        attributes.put(f.getKey(), f.getValue().asText());
      }
    }
    return new InputLine(number, id, text, null, raw, Map.copyOf(attributes));
  }

  private static InputLine rejected(long number, String id, String raw, String reason) {
    return new InputLine(number, id, null, reason, raw, Map.of());
  }
}
