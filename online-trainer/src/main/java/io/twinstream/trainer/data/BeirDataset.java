package io.twinstream.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A retrieval task in the BEIR layout: a JSONL corpus {@code {"_id", "title", "text"}}, JSONL
 * queries {@code {"_id", "text"}} and a TSV of relevance judgements {@code query-id corpus-id
 * score} with a header. A document's text is its title and text joined by a space, as BEIR does.
 *
 * @param corpus document text by id, in file order
 * @param queries query text by id, in file order
 * @param relevance per query id, graded relevance by document id
 * @param badLines lines skipped in any of the three files
 */
public record BeirDataset(
    Map<String, String> corpus,
    Map<String, String> queries,
    Map<String, Map<String, Integer>> relevance,
    List<BadLine> badLines) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Reads the three files; judgements naming unknown queries or documents are reported and skipped.
   */
  public static BeirDataset read(Path corpusFile, Path queriesFile, Path qrelsFile)
      throws IOException {
    List<BadLine> bad = new ArrayList<>();
    Map<String, String> corpus = readJsonl(corpusFile, true, bad);
    Map<String, String> queries = readJsonl(queriesFile, false, bad);
    Map<String, Map<String, Integer>> relevance = new LinkedHashMap<>();
    try (BufferedReader in = Files.newBufferedReader(qrelsFile, StandardCharsets.UTF_8)) {
      String header = in.readLine();
      if (header == null) {
        throw new IOException(
            qrelsFile + ": empty file (expected a header query-id, corpus-id, score)");
      }
      String line;
      long number = 1;
      while ((line = in.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        String[] cells = line.split("\t", -1);
        if (cells.length != 3) {
          bad.add(new BadLine(qrelsFile.toString(), number, cells.length + " columns, expected 3"));
          continue;
        }
        int score;
        try {
          score = Integer.parseInt(cells[2].trim());
        } catch (NumberFormatException e) {
          bad.add(
              new BadLine(
                  qrelsFile.toString(), number, "score '" + cells[2] + "' is not an integer"));
          continue;
        }
        if (!queries.containsKey(cells[0])) {
          bad.add(new BadLine(qrelsFile.toString(), number, "unknown query id '" + cells[0] + "'"));
          continue;
        }
        if (!corpus.containsKey(cells[1])) {
          bad.add(
              new BadLine(qrelsFile.toString(), number, "unknown corpus id '" + cells[1] + "'"));
          continue;
        }
        relevance.computeIfAbsent(cells[0], k -> new LinkedHashMap<>()).put(cells[1], score);
      }
    }
    return new BeirDataset(corpus, queries, relevance, List.copyOf(bad));
  }

  private static Map<String, String> readJsonl(Path file, boolean withTitle, List<BadLine> bad)
      throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      long number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (IOException e) {
          bad.add(new BadLine(file.toString(), number, "not valid JSON"));
          continue;
        }
        JsonNode id = node == null ? null : node.get("_id");
        JsonNode text = node == null ? null : node.get("text");
        if (id == null || !(id.isTextual() || id.isNumber()) || text == null || !text.isTextual()) {
          bad.add(
              new BadLine(
                  file.toString(),
                  number,
                  "expected {\"_id\", \"text\""
                      + (withTitle ? ", \"title\"" : "")
                      + "} with string values"));
          continue;
        }
        String title =
            withTitle && node.path("title").isTextual() ? node.get("title").asText() : "";
        String joined = title.isEmpty() ? text.asText() : title + " " + text.asText();
        if (joined.isBlank()) {
          bad.add(new BadLine(file.toString(), number, "empty text"));
          continue;
        }
        if (out.putIfAbsent(id.asText(), joined) != null) {
          bad.add(new BadLine(file.toString(), number, "duplicate _id '" + id.asText() + "'"));
        }
      }
    }
    return out;
  }
}
