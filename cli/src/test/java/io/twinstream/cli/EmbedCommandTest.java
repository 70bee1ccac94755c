package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.encoder.BundleWriter;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbedCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private List<JsonNode> readJsonl(Path file) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  @Test
  void textInputEmbedsEveryLineInOrderWithLineNumbersAsIds() throws Exception {
    Path in = tmp.resolve("in.txt");
    List<String> texts =
        List.of("The cat sat on the mat.", "Kafka topics are partitioned logs.", "Hello", "🙂");
    Files.write(in, texts, StandardCharsets.UTF_8);
    Path out = tmp.resolve("out.jsonl");
    CliRun run =
        CliRun.of(
            "embed", "--input", in.toString(), "--output", out.toString(), "--batch-size", "2");
    assertEquals(0, run.exitCode(), run.err());
    List<JsonNode> lines = readJsonl(out);
    assertEquals(4, lines.size());
    try (SentenceEncoder encoder = SentenceEncoder.open(ModelBundle.builtin("default"))) {
      float[][] expected = encoder.embed(texts);
      for (int i = 0; i < texts.size(); i++) {
        JsonNode line = lines.get(i);
        assertEquals(Integer.toString(i + 1), line.get("id").asText());
        assertEquals("all-MiniLM-L6-v2", line.get("model_version").asText());
        assertFalse(line.get("truncated").asBoolean());
        assertEquals(384, line.get("vector").size());
        for (int d = 0; d < 384; d++) {
          assertEquals(expected[i][d], (float) line.get("vector").get(d).asDouble(), 1e-6);
        }
      }
    }
    assertTrue(run.err().contains("4 embedded, 0 rejected"), run.err());
  }

  @Test
  void emptyAndBlankLinesAreRejectedWithTheirNumbersAndTheRestIsEmbedded() throws Exception {
    Path in = tmp.resolve("in.txt");
    Files.writeString(in, "first\n\n   \nfourth\n");
    Path out = tmp.resolve("out.jsonl");
    Path errors = tmp.resolve("errors.jsonl");
    CliRun run =
        CliRun.of(
            "embed",
            "--input",
            in.toString(),
            "--output",
            out.toString(),
            "--errors",
            errors.toString());
    assertEquals(2, run.exitCode());
    assertEquals(
        List.of("1", "4"), readJsonl(out).stream().map(n -> n.get("id").asText()).toList());
    assertTrue(run.err().contains("line 2: rejected: empty or whitespace-only text"), run.err());
    assertTrue(run.err().contains("line 3: rejected: empty or whitespace-only text"), run.err());
    List<JsonNode> rejected = readJsonl(errors);
    assertEquals(2, rejected.size());
    assertEquals(3, rejected.get(1).get("line").asInt());
    assertEquals("   ", rejected.get(1).get("input").asText());
  }

  @Test
  void jsonlInputReportsEachKindOfBadLine() throws Exception {
    Path in = tmp.resolve("in.jsonl");
    Files.writeString(
        in,
        String.join(
                "\n",
                "{\"id\": \"a\", \"text\": \"good one\"}",
                "{not json",
                "{\"id\": \"c\"}",
                "{\"id\": \"d\", \"text\": 5}",
                "[1, 2]",
                "{\"id\": 17, \"text\": \"numeric id\"}",
                "{\"text\": \"no id\"}",
                "{\"id\": \"h\", \"text\": \"  \"}")
            + "\n");
    Path out = tmp.resolve("out.jsonl");
    CliRun run =
        CliRun.of(
            "embed", "--format", "jsonl", "--input", in.toString(), "--output", out.toString());
    assertEquals(2, run.exitCode());
    assertEquals(
        List.of("a", "17", "7"), readJsonl(out).stream().map(n -> n.get("id").asText()).toList());
    String err = run.err();
    assertTrue(err.contains("line 2: rejected: not valid JSON"), err);
    assertTrue(err.contains("line 3 (id c): rejected: missing field 'text'"), err);
    assertTrue(err.contains("line 4 (id d): rejected: field 'text' must be a string"), err);
    assertTrue(err.contains("line 5: rejected: expected a JSON object, found array"), err);
    assertTrue(err.contains("line 8 (id h): rejected: empty or whitespace-only text"), err);
    assertTrue(err.contains("3 embedded, 5 rejected"), err);
  }

  @Test
  void invalidUtf8IsReplacedNotFatal() throws Exception {
    Path in = tmp.resolve("in.txt");
    byte[] bytes = {
      'c', 'a', 'f', (byte) 0xC3, '\n', 'o', 'k', '\n', (byte) 0xFF, (byte) 0xFE, 'x', '\n'
    };
    Files.write(in, bytes);
    Path out = tmp.resolve("out.jsonl");
    CliRun run = CliRun.of("embed", "--input", in.toString(), "--output", out.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertEquals(3, readJsonl(out).size());
  }

  @Test
  void longTextComesBackTruncatedWithItsFullTokenCount() throws Exception {
    Path in = tmp.resolve("in.txt");
    Files.writeString(in, "word ".repeat(300) + "\n");
    Path out = tmp.resolve("out.jsonl");
    assertEquals(
        0, CliRun.of("embed", "--input", in.toString(), "--output", out.toString()).exitCode());
    JsonNode line = readJsonl(out).get(0);
    assertTrue(line.get("truncated").asBoolean());
    assertEquals(302, line.get("tokens").asInt());
  }

  @Test
  void missingModelFailsAtOnceNamingThePath() throws Exception {
    Path in = tmp.resolve("in.txt");
    Files.writeString(in, "text\n");
    Path model = tmp.resolve("no-such-model");
    CliRun run =
        CliRun.of(
            "embed",
            "--model",
            model.toString(),
            "--input",
            in.toString(),
            "--output",
            tmp.resolve("out.jsonl").toString());
    assertEquals(1, run.exitCode());
    assertTrue(run.err().contains(model.toString()), run.err());
    assertFalse(Files.exists(tmp.resolve("out.jsonl")));
  }

  @Test
  void corruptModelFailsNamingTheFile() throws Exception {
    Path bundle = tmp.resolve("bundle");
    BundleWriter.write(ModelBundle.builtin("default"), bundle);
    Files.writeString(bundle.resolve("tokenizer.json"), "{}");
    Path in = tmp.resolve("in.txt");
    Files.writeString(in, "text\n");
    CliRun run =
        CliRun.of(
            "embed",
            "--model",
            bundle.toString(),
            "--input",
            in.toString(),
            "--output",
            tmp.resolve("out.jsonl").toString());
    assertEquals(1, run.exitCode());
    assertTrue(
        run.err().contains(bundle.resolve("tokenizer.json") + ": SHA-256 mismatch"), run.err());
  }

  @Test
  void unknownOptionIsAUsageError() {
    CliRun run = CliRun.of("embed", "--no-such-option");
    assertEquals(TwinstreamCli.EXIT_USAGE, run.exitCode());
    assertTrue(run.err().contains("Unknown option"), run.err());
  }

  @Test
  void progressLineIsDrawnOnStderrWhenAsked() throws Exception {
    Path in = tmp.resolve("in.txt");
    Files.write(in, Collections.nCopies(50, "a line of text"), StandardCharsets.UTF_8);
    CliRun run =
        CliRun.of(
            "embed",
            "--progress",
            "--input",
            in.toString(),
            "--output",
            tmp.resolve("o").toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.err().contains("embedding [##############################] 100%"), run.err());
    assertTrue(run.err().contains("50 lines"), run.err());
    CliRun quiet =
        CliRun.of(
            "embed",
            "--no-progress",
            "--input",
            in.toString(),
            "--output",
            tmp.resolve("q").toString());
    assertFalse(quiet.err().contains("embedding ["), quiet.err());
  }

  @Test
  void int8BundleNamesItsVersion() throws Exception {
    Path in = tmp.resolve("in.txt");
    Files.writeString(in, "quantised\n");
    Path out = tmp.resolve("out.jsonl");
    assertEquals(
        0,
        CliRun.of(
                "embed",
                "--model",
                "default-int8",
                "--input",
                in.toString(),
                "--output",
                out.toString())
            .exitCode());
    assertEquals("all-MiniLM-L6-v2-int8", readJsonl(out).get(0).get("model_version").asText());
  }
}
