package io.twinstream.trainer.task;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A retrieval task built from an STS-benchmark TSV (columns {@code genre source year pair_id score
 * sentence1 sentence2 attribution1 attribution2}): every pair scored at least {@code minScore}
 * makes {@code sentence1} a query whose relevant document is {@code sentence2}; every {@code
 * sentence2} of the file is a document. The attribution columns stay with the documents.
 */
public final class StsTask {

  private StsTask() {}

  /**
   * Reads the task.
   *
   * @param maxDocuments most documents (the first ones of the file)
   * @throws IOException naming the file and line of a malformed row
   */
  public static RetrievalTask read(Path file, double minScore, int maxDocuments)
      throws IOException {
    Map<String, String> corpus = new LinkedHashMap<>();
    Map<String, String> idOfText = new LinkedHashMap<>();
    Map<String, String> attribution = new LinkedHashMap<>();
    Map<String, String> queries = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> relevance = new LinkedHashMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String header = in.readLine();
      if (header == null || !header.startsWith("genre\t")) {
        throw new IOException(
            file
                + ":1: expected the STS header 'genre source year pair_id score sentence1 "
                + "sentence2 ...'");
      }
      String line;
      int number = 1;
      while ((line = in.readLine()) != null && corpus.size() < maxDocuments) {
        number++;
        String[] cells = line.split("\t", -1);
        if (cells.length < 7) {
          throw new IOException(
              file + ":" + number + ": " + cells.length + " columns, expected at least 7");
        }
        double score;
        try {
          score = Double.parseDouble(cells[4]);
        } catch (NumberFormatException e) {
          throw new IOException(
              file + ":" + number + ": score '" + cells[4] + "' is not a number", e);
        }
        String docText = cells[6];
        String doc = idOfText.get(docText);
        if (doc == null) {
          doc = "sts-" + cells[1] + "-" + cells[2] + "-" + cells[3] + "-" + number;
          idOfText.put(docText, doc);
          corpus.put(doc, docText);
          String source = cells.length > 8 ? cells[8].trim() : "";
          attribution.put(
              doc, source.isEmpty() ? "STS benchmark (" + cells[1] + " " + cells[2] + ")" : source);
        }
        if (score >= minScore && !queries.containsValue(cells[5])) {
          String query = "sts-q-" + number;
          queries.put(query, cells[5]);
          relevance.put(query, Map.of(doc, 1));
        }
      }
    }
    return new RetrievalTask("sts", corpus, queries, relevance, attribution);
  }
}
