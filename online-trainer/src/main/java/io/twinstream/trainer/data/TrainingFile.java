package io.twinstream.trainer.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.trainer.TrainingExample;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads training examples from a file, skipping (and reporting) lines it cannot use:
 *
 * <ul>
 *   <li>JSONL, one object per line: {@code {"anchor", "positive"}}, {@code {"anchor", "positive",
 *       "negative"}} or {@code {"sentence1", "sentence2", "label"}} (label 0/1 or a graded score);
 *   <li>the STS benchmark TSV ({@code .tsv}: a header with {@code sentence1}, {@code sentence2} and
 *       {@code score} columns, scores 0-5): labelled pairs whose label is the score divided by 5.
 * </ul>
 */
public final class TrainingFile {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What was read.
   *
   * @param examples the usable examples, in file order
   * @param badLines the lines skipped, with reasons
   * @param format {@code "jsonl"} or {@code "sts-tsv"}
   */
  public record Contents(List<TrainingExample> examples, List<BadLine> badLines, String format) {}

  private TrainingFile() {}

  /** Reads {@code path}: STS TSV if its name ends in {@code .tsv}, JSONL otherwise. */
  public static Contents read(Path path) throws IOException {
    return path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tsv")
        ? readSts(path)
        : readJsonl(path);
  }

  /** Reads JSONL examples. */
  public static Contents readJsonl(Path path) throws IOException {
    List<TrainingExample> examples = new ArrayList<>();
    List<BadLine> bad = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      String line;
      long number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        try {
          examples.add(parseJson(line));
        } catch (IllegalArgumentException e) {
          bad.add(new BadLine(path.toString(), number, e.getMessage()));
        }
      }
    }
    return new Contents(examples, bad, "jsonl");
  }

  static TrainingExample parseJson(String line) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("expected a JSON object");
    }
    if (node.has("anchor") || node.has("positive")) {
      String negative = node.has("negative") ? text(node, "negative") : null;
      return new TrainingExample(text(node, "anchor"), text(node, "positive"), negative, null);
    }
    if (node.has("sentence1") || node.has("sentence2")) {
      JsonNode label = node.get("label");
      if (label == null || !label.isNumber() || !Double.isFinite(label.asDouble())) {
        throw new IllegalArgumentException("\"label\" must be a finite number");
      }
      return TrainingExample.labelled(
          text(node, "sentence1"), text(node, "sentence2"), label.floatValue());
    }
    throw new IllegalArgumentException(
        "expected {\"anchor\",\"positive\"[,\"negative\"]} or {\"sentence1\",\"sentence2\",\"label\"}");
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("\"" + field + "\" must be a string");
    }
    if (v.asText().isBlank()) {
      throw new IllegalArgumentException("\"" + field + "\" is empty");
    }
    return v.asText();
  }

  /** Reads the STS benchmark TSV: labelled pairs, label = score / 5. */
  public static Contents readSts(Path path) throws IOException {
    List<TrainingExample> examples = new ArrayList<>();
    List<BadLine> bad = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      String header = in.readLine();
      if (header == null) {
        throw new IOException(
            path + ": empty file (expected a header with sentence1, sentence2, score)");
      }
      List<String> columns = List.of(header.split("\t", -1));
      int s1 = columns.indexOf("sentence1");
      int s2 = columns.indexOf("sentence2");
      int score = columns.indexOf("score");
      if (s1 < 0 || s2 < 0 || score < 0) {
        throw new IOException(
            path
                + ":1: the header must name sentence1, sentence2 and score columns; got "
                + columns);
      }
      String line;
      long number = 1;
      while ((line = in.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        String[] cells = line.split("\t", -1);
        if (cells.length != columns.size()) {
          bad.add(
              new BadLine(
                  path.toString(),
                  number,
                  cells.length + " tab-separated columns, the header has " + columns.size()));
          continue;
        }
        float value;
        try {
          value = Float.parseFloat(cells[score]);
        } catch (NumberFormatException e) {
          bad.add(
              new BadLine(path.toString(), number, "score '" + cells[score] + "' is not a number"));
          continue;
        }
        if (!(value >= 0 && value <= 5)) {
          bad.add(
              new BadLine(path.toString(), number, "score " + cells[score] + " is outside 0-5"));
          continue;
        }
        if (cells[s1].isBlank() || cells[s2].isBlank()) {
          bad.add(new BadLine(path.toString(), number, "empty sentence"));
          continue;
        }
        examples.add(TrainingExample.labelled(cells[s1], cells[s2], value / 5f));
      }
    }
    return new Contents(examples, bad, "sts-tsv");
  }
}
