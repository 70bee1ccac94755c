package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.encoder.ModelBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainEvalCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void trainWritesABundleThatEvalScoresAndReportsBadLines() throws Exception {
    List<String> lines = new ArrayList<>();
    String[][] pairs = {
      {"How do I reset my password?", "Steps to recover a forgotten password"},
      {"cheap flights to Lisbon", "Low-cost airline tickets to Portugal's capital"},
      {"A man plays the guitar.", "A musician performs with a guitar."},
      {"error 503 from the gateway", "the upstream service was unavailable"},
      {"refund for a damaged parcel", "money back when the package arrived broken"},
      {"best pizza near the station", "highly rated pizzerias close to the train station"},
      {"how tall is the Eiffel tower", "height of the Eiffel tower in metres"},
      {"cancel my subscription", "stop the monthly plan and billing"}
    };
    for (String[] p : pairs) {
      lines.add(JSON.writeValueAsString(Map.of("anchor", p[0], "positive", p[1])));
    }
    lines.add(3, "{\"anchor\": \"no positive\"}");
    lines.add("this is not json");
    Path file = tmp.resolve("pairs.jsonl");
    Files.write(file, lines);
    Path out = tmp.resolve("tuned");
    Path hf = tmp.resolve("hf");
    Path sts = Path.of("../data/stsb-ccbysa/dev.tsv");
    CliRun train =
        CliRun.of(
            "train",
            "--pairs",
            file.toString(),
            "--loss",
            "mnrl",
            "--batch-size",
            "4",
            "--epochs",
            "2",
            "--output",
            out.toString(),
            "--version",
            "tuned-1",
            "--eval-sts",
            sts.toString(),
            "--export-hf",
            hf.toString(),
            "--no-progress");
    assertEquals(2, train.exitCode(), train.err());
    assertTrue(
        train.err().contains(file + ":4: \"positive\" must be a string (skipped)"), train.err());
    assertTrue(train.err().contains(file + ":10: not valid JSON"), train.err());
    assertTrue(
        train.err().contains("8 examples from " + file + " (jsonl), 2 lines skipped"), train.err());
    // The base model's STS dev Spearman, as train reports it before training: the figure the
    // sentence-transformers model gets on these pairs (0.9134, docs/continuous-learning.md).
    java.util.regex.Matcher baseLine =
        java.util.regex.Pattern.compile("base model all-MiniLM-L6-v2: sts spearman ([0-9.]+)")
            .matcher(train.err());
    assertTrue(baseLine.find(), train.err());
    double baseSpearman = Double.parseDouble(baseLine.group(1));
    assertEquals(0.9134, baseSpearman, 0.0005, train.err());
    assertTrue(train.err().contains("epoch 2/2: mean loss"), train.err());
    assertTrue(train.err().contains("4 steps in"), train.err());

    ModelBundle bundle = ModelBundle.load(out);
    assertEquals("tuned-1", bundle.version());
    assertEquals("all-MiniLM-L6-v2", bundle.manifest().parentVersion());
    assertEquals("mnrl", bundle.manifest().training().get("loss"));
    assertTrue(
        bundle.manifest().metrics().get("sts/spearman") > 0.85,
        bundle.manifest().metrics().toString());
    assertTrue(Files.isRegularFile(hf.resolve("model.safetensors")));
    assertTrue(Files.isRegularFile(hf.resolve("onnx/model.onnx")));

    CliRun eval = CliRun.of("eval", "--model", out.toString(), "--sts", sts.toString(), "--json");
    assertEquals(0, eval.exitCode(), eval.err());
    JsonNode result = JSON.readTree(eval.out());
    assertEquals("tuned-1", result.get("model").asText());
    assertEquals("spearman", result.get("primary").asText());
    assertEquals(
        bundle.manifest().metrics().get("sts/spearman"),
        result.get("metrics").get("spearman").asDouble(),
        1e-4);
    CliRun baseEval = CliRun.of("eval", "--sts", sts.toString(), "--json");
    assertEquals(0, baseEval.exitCode(), baseEval.err());
    assertEquals(
        baseSpearman,
        JSON.readTree(baseEval.out()).get("metrics").get("spearman").asDouble(),
        1e-4,
        "train's baseline is what eval gives the base model");
  }

  @Test
  void evalScoresRetrievalInTheBeirLayout() throws Exception {
    Path corpus = tmp.resolve("corpus.jsonl");
    Path queries = tmp.resolve("queries.jsonl");
    Path qrels = tmp.resolve("qrels.tsv");
    Files.writeString(
        corpus,
        String.join(
            "\n",
            "{\"_id\":\"d1\",\"title\":\"Password reset\",\"text\":\"Use the link on the sign-in page to recover access.\"}",
            "{\"_id\":\"d2\",\"title\":\"Shipping\",\"text\":\"Parcels arrive within three working days.\"}",
            "{\"_id\":\"d3\",\"title\":\"Refunds\",\"text\":\"Damaged goods are refunded in full.\"}"));
    Files.writeString(
        queries,
        "{\"_id\":\"q1\",\"text\":\"I forgot my password\"}\n"
            + "{\"_id\":\"q2\",\"text\":\"my package came broken, can I get my money back?\"}\n");
    Files.writeString(qrels, "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\nq2\td9\t1\n");
    CliRun eval =
        CliRun.of(
            "eval",
            "--corpus",
            corpus.toString(),
            "--queries",
            queries.toString(),
            "--qrels",
            qrels.toString());
    assertEquals(0, eval.exitCode(), eval.err());
    assertTrue(eval.err().contains("qrels.tsv:4: unknown corpus id 'd9' (skipped)"), eval.err());
    assertTrue(eval.out().contains("all-MiniLM-L6-v2 on retrieval (2 queries)"), eval.out());
    assertTrue(eval.out().contains("ndcg@10            1.0000  (primary)"), eval.out());
  }

  @Test
  void trainRefusesAnUnknownLossAndPairsThatCannotTrainIt() throws Exception {
    Path file = tmp.resolve("pairs.jsonl");
    Files.writeString(file, "{\"anchor\":\"a\",\"positive\":\"b\"}\n");
    CliRun unknown =
        CliRun.of(
            "train",
            "--pairs",
            file.toString(),
            "--loss",
            "mse",
            "--output",
            tmp.resolve("x").toString());
    assertEquals(64, unknown.exitCode());
    assertTrue(unknown.err().contains("unknown loss 'mse'"), unknown.err());
    CliRun triplet =
        CliRun.of(
            "train",
            "--pairs",
            file.toString(),
            "--loss",
            "triplet",
            "--output",
            tmp.resolve("y").toString());
    assertEquals(1, triplet.exitCode());
    assertTrue(
        triplet.err().contains("example 1 cannot train triplet: no negative"), triplet.err());
    assertTrue(!Files.exists(tmp.resolve("y")));
  }

  @Test
  void trainInAdapterModeWritesTheSameModelWithAQueryAdapterThatRanksTheTrainedPairs()
      throws Exception {
    String[][] pairs = {
      {"zorblat again", "checkout: the payment provider times out"},
      {"quenfis again", "search: the index is stale after a deploy"},
      {"vostrel again", "login: sessions expire after one minute"},
      {"draxim again", "billing: invoices are sent twice"},
      {"plonk again", "upload: large files fail at 99 percent"},
      {"mirvel again", "email: notifications land in spam"}
    };
    List<String> lines = new ArrayList<>();
    for (int repeat = 0; repeat < 4; repeat++) {
      for (String[] p : pairs) {
        lines.add(JSON.writeValueAsString(Map.of("anchor", p[0], "positive", p[1])));
      }
    }
    Path file = tmp.resolve("adapter-pairs.jsonl");
    Files.write(file, lines);
    Path out = tmp.resolve("adapted");
    CliRun train =
        CliRun.of(
            "train",
            "--mode",
            "adapter",
            "--pairs",
            file.toString(),
            "--loss",
            "mnrl",
            "--output",
            out.toString(),
            "--version",
            "adapted-1",
            "--adapter-epochs",
            "30",
            "--no-progress");
    assertEquals(0, train.exitCode(), train.err());
    assertTrue(train.err().contains("query adapter (rank 64)"), train.err());
    ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT);
    ModelBundle adapted = ModelBundle.load(out);
    assertEquals("adapted-1", adapted.version());
    assertEquals(base.version(), adapted.manifest().parentVersion());
    assertEquals(base.modelBuffer(), adapted.modelBuffer(), "the model itself is not trained");
    io.twinstream.encoder.bridge.QueryBridge adapter =
        io.twinstream.trainer.online.FineTuningRound.adapterOf(adapted);
    assertEquals(base.version(), adapter.to(), "its queries search the base model's vectors");
    // The queries are made-up words: the model alone ranks their documents by chance; through
    // the adapter, every query ranks its own document first among the six.
    try (io.twinstream.encoder.SentenceEncoder encoder =
        io.twinstream.encoder.SentenceEncoder.open(adapted)) {
      int rightWithout = 0;
      for (int q = 0; q < pairs.length; q++) {
        float[] raw = encoder.encode(pairs[q][0]).vector();
        rightWithout += top(encoder, raw, pairs) == q ? 1 : 0;
        assertEquals(q, top(encoder, adapter.apply(raw), pairs), pairs[q][0]);
      }
      assertTrue(rightWithout < pairs.length, rightWithout + " right without the adapter");
    }
    CliRun refused =
        CliRun.of(
            "train",
            "--mode",
            "adapter",
            "--pairs",
            file.toString(),
            "--loss",
            "mnrl",
            "--output",
            tmp.resolve("z").toString(),
            "--export-hf",
            tmp.resolve("hf").toString());
    assertEquals(64, refused.exitCode());
    assertTrue(refused.err().contains("an adapter is not one"), refused.err());
  }

  /** The document of {@code pairs} nearest to {@code query}. */
  private static int top(
      io.twinstream.encoder.SentenceEncoder encoder, float[] query, String[][] pairs) {
    int best = -1;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int d = 0; d < pairs.length; d++) {
      float[] doc = encoder.encode(pairs[d][1]).vector();
      double score = 0;
      for (int i = 0; i < doc.length; i++) {
        score += query[i] * doc[i];
      }
      if (score > bestScore) {
        bestScore = score;
        best = d;
      }
    }
    return best;
  }
}
