package io.twinstream.trainer.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.trainer.data.BadLine;
import io.twinstream.trainer.data.BeirDataset;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.eval.SampledCorpus;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A retrieval task: documents, queries and which documents are relevant to each query, with the
 * queries split into {@code traffic} (what simulated users search for, and so what feedback is
 * about), {@code dev} (a fixed evaluation set a promotion gate may use) and {@code test} (reported
 * only, never trained or gated on).
 *
 * @param name short name, e.g. {@code domain} or {@code sts}
 * @param corpus document text by id
 * @param queries query text by id
 * @param relevance per query id, graded relevance by document id
 * @param attribution per document id, the attribution its text carries (empty for generated text)
 */
public record RetrievalTask(
    String name,
    Map<String, String> corpus,
    Map<String, String> queries,
    Map<String, Map<String, Integer>> relevance,
    Map<String, String> attribution) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public RetrievalTask {
    corpus = Collections.unmodifiableMap(new LinkedHashMap<>(corpus));
    queries = Collections.unmodifiableMap(new LinkedHashMap<>(queries));
    relevance = Collections.unmodifiableMap(new LinkedHashMap<>(relevance));
    attribution = Collections.unmodifiableMap(new LinkedHashMap<>(attribution));
    for (Map.Entry<String, Map<String, Integer>> q : relevance.entrySet()) {
      if (!queries.containsKey(q.getKey())) {
        throw new IllegalArgumentException("judgement for unknown query " + q.getKey());
      }
      for (String doc : q.getValue().keySet()) {
        if (!corpus.containsKey(doc)) {
          throw new IllegalArgumentException(
              "query " + q.getKey() + " judges unknown document " + doc);
        }
      }
    }
  }

  /**
   * A task from a BEIR dataset (as {@code twinstream eval} reads it); queries without judgements
   * are dropped.
   */
  public static RetrievalTask of(String name, BeirDataset data) {
    Map<String, String> queries = new LinkedHashMap<>();
    data.queries()
        .forEach(
            (id, text) -> {
              if (data.relevance().containsKey(id)) {
                queries.put(id, text);
              }
            });
    return new RetrievalTask(name, data.corpus(), queries, data.relevance(), Map.of());
  }

  /**
   * The query split: traffic, dev and test ids, in that order; {@code testSets} names the parts of
   * {@code test} a task comes with (e.g. {@code test-seen}, {@code test-unseen}), each reported on
   * its own; a random split has one, {@code test}.
   */
  public record Split(
      List<String> traffic,
      List<String> dev,
      List<String> test,
      Map<String, List<String>> testSets) {

    public Split {
      traffic = List.copyOf(traffic);
      dev = List.copyOf(dev);
      test = List.copyOf(test);
      testSets = Collections.unmodifiableMap(new LinkedHashMap<>(testSets));
    }

    /** A split with one test set, {@code test}. */
    public Split(List<String> traffic, List<String> dev, List<String> test) {
      this(traffic, dev, test, Map.of("test", test));
    }
  }

  /** A task and the split it comes with. */
  public record WithSplit(RetrievalTask task, Split split) {

    /** The same, with the traffic queries in a seeded random order (the order users search). */
    public WithSplit withTrafficShuffled(long seed) {
      List<String> traffic = new ArrayList<>(split.traffic());
      Collections.shuffle(traffic, new Random(seed));
      return new WithSplit(task, new Split(traffic, split.dev(), split.test(), split.testSets()));
    }
  }

  /**
   * A task laid out as a folder with its own split: {@code corpus.jsonl} and {@code queries.jsonl}
   * (BEIR), and under {@code qrels/} the judgements of each part, {@code traffic.tsv}, {@code
   * dev.tsv} and one or more {@code test*.tsv} (e.g. {@code test-seen.tsv}, {@code
   * test-unseen.tsv}), each a test set of its own. The shipped SQuAD task ({@code
   * data/squad-retrieval-small}) is such a folder.
   *
   * @throws IOException when a file cannot be read, or the folder lacks one (named in the message)
   * @throws IllegalArgumentException when a part judges no query, or a query is in two parts
   */
  public static WithSplit readSplit(String name, Path dir, Consumer<BadLine> badLines)
      throws IOException {
    Path qrels = dir.resolve("qrels");
    for (Path required :
        List.of(
            dir.resolve("corpus.jsonl"),
            dir.resolve("queries.jsonl"),
            qrels.resolve("traffic.tsv"),
            qrels.resolve("dev.tsv"))) {
      if (!Files.isRegularFile(required)) {
        throw new NoSuchFileException(
            required.toString(),
            null,
            "a task folder needs corpus.jsonl, queries.jsonl and qrels/traffic.tsv, dev.tsv and"
                + " test*.tsv");
      }
    }
    List<Path> testFiles;
    try (Stream<Path> files = Files.list(qrels)) {
      testFiles =
          files.filter(f -> f.getFileName().toString().matches("test.*\\.tsv")).sorted().toList();
    }
    if (testFiles.isEmpty()) {
      throw new NoSuchFileException(
          qrels.toString(), null, "no test*.tsv: a task folder needs at least one test set");
    }
    Map<String, String> corpus = null;
    Map<String, String> queries = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> relevance = new LinkedHashMap<>();
    Map<String, List<String>> parts = new LinkedHashMap<>();
    List<Path> partFiles =
        new ArrayList<>(List.of(qrels.resolve("traffic.tsv"), qrels.resolve("dev.tsv")));
    partFiles.addAll(testFiles);
    Map<String, String> partOf = new LinkedHashMap<>();
    for (Path file : partFiles) {
      BeirDataset data =
          BeirDataset.read(dir.resolve("corpus.jsonl"), dir.resolve("queries.jsonl"), file);
      data.badLines().forEach(badLines);
      if (corpus == null) {
        corpus = data.corpus();
      }
      String part = file.getFileName().toString().replaceFirst("\\.tsv$", "");
      if (data.relevance().isEmpty()) {
        throw new IllegalArgumentException(file + ": judges no query of " + dir);
      }
      for (Map.Entry<String, Map<String, Integer>> q : data.relevance().entrySet()) {
        String other = partOf.putIfAbsent(q.getKey(), part);
        if (other != null) {
          throw new IllegalArgumentException(
              file
                  + ": query "
                  + q.getKey()
                  + " is in "
                  + other
                  + " too: the parts must not share queries");
        }
        queries.put(q.getKey(), data.queries().get(q.getKey()));
        relevance.put(q.getKey(), q.getValue());
      }
      parts.put(part, List.copyOf(data.relevance().keySet()));
    }
    Map<String, List<String>> testSets = new LinkedHashMap<>();
    List<String> test = new ArrayList<>();
    for (Path file : testFiles) {
      String part = file.getFileName().toString().replaceFirst("\\.tsv$", "");
      testSets.put(part, parts.get(part));
      test.addAll(parts.get(part));
    }
    RetrievalTask task = new RetrievalTask(name, corpus, queries, relevance, Map.of());
    return new WithSplit(task, new Split(parts.get("traffic"), parts.get("dev"), test, testSets));
  }

  /**
   * Splits the judged queries at random (seeded) into traffic, dev and test, dev and test each
   * {@code share} of them (at least one each when there are three or more queries).
   */
  public Split split(double share, long seed) {
    if (!(share > 0 && share < 0.5)) {
      throw new IllegalArgumentException("share must be in (0, 0.5), got " + share);
    }
    List<String> ids = new ArrayList<>(relevance.keySet());
    Collections.shuffle(ids, new Random(seed));
    int n = ids.size();
    int held = n < 3 ? 0 : Math.max(1, (int) Math.round(n * share));
    return new Split(
        List.copyOf(ids.subList(2 * held, n)),
        List.copyOf(ids.subList(0, held)),
        List.copyOf(ids.subList(held, 2 * held)));
  }

  /** A retrieval evaluator over the whole corpus for the given queries. */
  public RetrievalEvaluator evaluator(List<String> queryIds) {
    Map<String, String> qs = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> rel = new LinkedHashMap<>();
    for (String id : queryIds) {
      qs.put(id, queries.get(id));
      rel.put(id, relevance.get(id));
    }
    return new RetrievalEvaluator(corpus, qs, rel);
  }

  /**
   * A retrieval evaluator for the given queries over the sample of the corpus {@link SampledCorpus}
   * draws for them; {@code sampling} null = over the whole corpus.
   */
  public RetrievalEvaluator evaluator(List<String> queryIds, SampledCorpus.Sampling sampling) {
    if (sampling == null) {
      return evaluator(queryIds);
    }
    Map<String, String> qs = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> rel = new LinkedHashMap<>();
    for (String id : queryIds) {
      qs.put(id, queries.get(id));
      rel.put(id, relevance.get(id));
    }
    return RetrievalEvaluator.sampled(corpus, qs, rel, sampling);
  }

  /**
   * Writes the task in the BEIR layout under {@code dir}: {@code corpus.jsonl} (with an {@code
   * attribution} field where the text has one), {@code queries.jsonl} and {@code qrels.tsv} for the
   * given query ids.
   */
  public void writeBeir(Path dir, List<String> queryIds) throws IOException {
    Files.createDirectories(dir);
    try (BufferedWriter out =
        Files.newBufferedWriter(dir.resolve("corpus.jsonl"), StandardCharsets.UTF_8)) {
      for (Map.Entry<String, String> d : corpus.entrySet()) {
        Map<String, String> row = new LinkedHashMap<>();
        row.put("_id", d.getKey());
        row.put("title", "");
        row.put("text", d.getValue());
        String source = attribution.get(d.getKey());
        if (source != null && !source.isEmpty()) {
          row.put("attribution", source);
        }
        out.write(JSON.writeValueAsString(row));
        out.write('\n');
      }
    }
    try (BufferedWriter out =
        Files.newBufferedWriter(dir.resolve("queries.jsonl"), StandardCharsets.UTF_8)) {
      for (String id : queryIds) {
        out.write(JSON.writeValueAsString(Map.of("_id", id, "text", queries.get(id))));
        out.write('\n');
      }
    }
    try (BufferedWriter out =
        Files.newBufferedWriter(dir.resolve("qrels.tsv"), StandardCharsets.UTF_8)) {
      out.write("query-id\tcorpus-id\tscore\n");
      for (String id : queryIds) {
        for (Map.Entry<String, Integer> r : relevance.get(id).entrySet()) {
          out.write(id + "\t" + r.getKey() + "\t" + r.getValue() + "\n");
        }
      }
    }
  }
}
