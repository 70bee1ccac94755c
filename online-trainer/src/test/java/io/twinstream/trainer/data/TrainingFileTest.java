package io.twinstream.trainer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.loss.LossInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingFileTest {

  @TempDir Path dir;

  @Test
  void jsonlShapesAreReadAndBadLinesReportedWithTheirNumber() throws IOException {
    Path file = dir.resolve("pairs.jsonl");
    Files.writeString(
        file,
        String.join(
            "\n",
            "{\"anchor\":\"a\",\"positive\":\"b\"}",
            "{\"anchor\":\"a\",\"positive\":\"b\",\"negative\":\"c\"}",
            "",
            "{\"sentence1\":\"x\",\"sentence2\":\"y\",\"label\":0.4}",
            "{\"anchor\":\"a\"}",
            "not json",
            "{\"sentence1\":\"x\",\"sentence2\":\"y\",\"label\":\"high\"}",
            "{\"anchor\":\"  \",\"positive\":\"b\"}",
            "[1,2]"));
    TrainingFile.Contents c = TrainingFile.read(file);
    assertEquals(
        List.of(
            TrainingExample.pair("a", "b"),
            TrainingExample.triplet("a", "b", "c"),
            TrainingExample.labelled("x", "y", 0.4f)),
        c.examples());
    assertEquals(List.of(5L, 6L, 7L, 8L, 9L), c.badLines().stream().map(BadLine::line).toList());
    assertEquals(file + ":5: \"positive\" must be a string", c.badLines().get(0).toString());
    assertEquals("\"label\" must be a finite number", c.badLines().get(2).reason());
    assertEquals("\"anchor\" is empty", c.badLines().get(3).reason());
  }

  @Test
  void theStsBenchmarkTsvBecomesLabelledPairsScaledToOne() throws IOException {
    TrainingFile.Contents dev = TrainingFile.read(Path.of("../data/stsb-ccbysa/dev.tsv"));
    assertEquals("sts-tsv", dev.format());
    assertEquals(List.of(), dev.badLines());
    assertEquals(
        Files.readAllLines(Path.of("../data/stsb-ccbysa/dev.tsv")).size() - 1,
        dev.examples().size());
    TrainingExample first = dev.examples().get(0);
    assertEquals("A cat standing on tree branches.", first.anchor());
    assertEquals(3.6f / 5, first.label(), 1e-6);

    Path broken = dir.resolve("broken.tsv");
    Files.writeString(broken, "sentence1\tsentence2\tscore\na\tb\t6\na\tb\nc\td\t2.5\n");
    TrainingFile.Contents c = TrainingFile.read(broken);
    assertEquals(1, c.examples().size());
    assertEquals(
        List.of("score 6 is outside 0-5", "2 tab-separated columns, the header has 3"),
        c.badLines().stream().map(BadLine::reason).toList());
    Files.writeString(broken, "a\tb\n");
    assertThrows(IOException.class, () -> TrainingFile.read(broken));
  }

  @Test
  void labelledPairsAreAdaptedToWhatTheLossNeeds() {
    List<TrainingExample> sts =
        List.of(TrainingExample.labelled("a", "b", 0.9f), TrainingExample.labelled("c", "d", 0.3f));
    ExampleAdapter.Adapted pairs = ExampleAdapter.adapt(sts, LossInputs.ANCHOR_POSITIVE, 0.8f);
    assertEquals(List.of(TrainingExample.pair("a", "b")), pairs.examples());
    assertEquals(1, pairs.dropped());
    ExampleAdapter.Adapted binary = ExampleAdapter.adapt(sts, LossInputs.BINARY_LABEL, 0.8f);
    assertEquals(List.of(1f, 0f), binary.examples().stream().map(TrainingExample::label).toList());
    assertEquals(2, binary.relabelled());
    assertEquals(sts, ExampleAdapter.adapt(sts, LossInputs.GRADED_LABEL, 0.8f).examples());
    assertNull(pairs.examples().get(0).label());
  }

  @Test
  void beirFilesAreJoinedAndUnknownIdsReported() throws IOException {
    Path corpus = dir.resolve("corpus.jsonl");
    Path queries = dir.resolve("queries.jsonl");
    Path qrels = dir.resolve("qrels.tsv");
    Files.writeString(
        corpus,
        "{\"_id\":\"d1\",\"title\":\"Gateway\",\"text\":\"returns 503\"}\n"
            + "{\"_id\":\"d2\",\"text\":\"invoices\"}\n{\"_id\":\"d1\",\"text\":\"again\"}\n");
    Files.writeString(
        queries, "{\"_id\":\"q1\",\"text\":\"service down\"}\n{\"text\":\"no id\"}\n");
    Files.writeString(
        qrels, "query-id\tcorpus-id\tscore\nq1\td1\t1\nq9\td1\t1\nq1\td7\t1\nq1\td2\tx\n");
    BeirDataset data = BeirDataset.read(corpus, queries, qrels);
    assertEquals("Gateway returns 503", data.corpus().get("d1"));
    assertEquals("invoices", data.corpus().get("d2"));
    assertEquals(Map.of("q1", Map.of("d1", 1)), data.relevance());
    assertEquals(
        List.of(
            "duplicate _id 'd1'",
            "expected {\"_id\", \"text\"} with string values",
            "unknown query id 'q9'",
            "unknown corpus id 'd7'",
            "score 'x' is not an integer"),
        data.badLines().stream().map(BadLine::reason).toList());
  }
}
