package io.twinstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinstream.cli.progress.Progress;
import io.twinstream.cli.progress.ProgressOption;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.trainer.data.BadLine;
import io.twinstream.trainer.data.BeirDataset;
import io.twinstream.trainer.eval.Evaluation;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.eval.SimilarityEvaluator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code twinstream eval}: scores a model on an STS file or a BEIR-layout retrieval task. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = {
      "Evaluates a model bundle with the serving encoder (ONNX Runtime):",
      "  --sts FILE: Spearman and Pearson of cosine vs gold score (STS TSV or labelled JSONL);",
      "  --corpus/--queries/--qrels: retrieval in the BEIR layout (nDCG@10, MRR@10, Recall@k, MAP@100).",
      "Bad lines are reported and skipped. Exit code: 0 = evaluated, 1 = failure, 64 = usage."
    })
final class EvalCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      defaultValue = "default",
      paramLabel = "DIR|ROOT/VERSION|default|default-int8",
      description = "Model bundle directory or built-in name (default: ${DEFAULT-VALUE}).")
  String model;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Task task;

  static final class Task {
    @Option(names = "--sts", paramLabel = "FILE", description = "STS TSV or labelled JSONL pairs.")
    Path sts;

    @ArgGroup(exclusive = false)
    Retrieval retrieval;
  }

  static final class Retrieval {
    @Option(
        names = "--corpus",
        required = true,
        paramLabel = "FILE",
        description =
            "JSONL {\"_id\",\"title\",\"text\"}; a document is its title and text joined by a space.")
    Path corpus;

    @Option(
        names = "--queries",
        required = true,
        paramLabel = "FILE",
        description = "JSONL {\"_id\",\"text\"}.")
    Path queries;

    @Option(
        names = "--qrels",
        required = true,
        paramLabel = "FILE",
        description = "TSV query-id, corpus-id, score with a header line.")
    Path qrels;
  }

  @Option(names = "--json", description = "Print the result as one JSON object on stdout.")
  boolean json;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Compute threads (default: the number of available processors).")
  Integer threads;

  @Mixin ProgressOption progress;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter out = spec.commandLine().getOut();
    EncoderOptions options = EncoderOptions.defaults();
    if (threads != null) {
      options = options.withThreads(threads);
    }
    SentenceEncoder encoder;
    try {
      encoder = SentenceEncoder.open(Registries.resolve(model), options);
    } catch (InvalidBundleException | IOException e) {
      err.println("twinstream eval: cannot load model '" + model + "': " + e.getMessage());
      return 1;
    } catch (IllegalArgumentException e) {
      err.println("twinstream eval: " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    }
    try (encoder) {
      Evaluation result;
      String kind;
      int size;
      if (task.sts != null) {
        SimilarityEvaluator sts = StsFile.evaluator(task.sts, err);
        if (sts == null) {
          return 1;
        }
        kind = "sts";
        size = sts.size();
        result = sts.evaluate(encoder::embed);
      } else {
        BeirDataset data;
        try {
          data =
              BeirDataset.read(task.retrieval.corpus, task.retrieval.queries, task.retrieval.qrels);
        } catch (IOException e) {
          err.println("twinstream eval: " + e.getMessage());
          return 1;
        }
        for (BadLine bad : data.badLines()) {
          err.println(bad + " (skipped)");
        }
        RetrievalEvaluator retrieval;
        try {
          retrieval = new RetrievalEvaluator(data.corpus(), data.queries(), data.relevance());
        } catch (IllegalArgumentException e) {
          err.println("twinstream eval: " + e.getMessage());
          return 1;
        }
        kind = "retrieval";
        size = retrieval.queryCount();
        Progress bar = progress.create(err, "embedding", retrieval.textCount(), "texts");
        retrieval.withProgress(done -> bar.update(done, done, ""));
        result = retrieval.evaluate(encoder::embed);
        bar.complete(retrieval.textCount(), retrieval.textCount(), "");
        bar.finish();
      }
      if (json) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode node = mapper.createObjectNode();
        node.put("model", encoder.modelVersion());
        node.put("task", kind);
        node.put(kind.equals("sts") ? "pairs" : "queries", size);
        node.put("primary", result.primary());
        ObjectNode metrics = node.putObject("metrics");
        result.metrics().forEach(metrics::put);
        out.println(mapper.writeValueAsString(node));
      } else {
        out.printf(
            Locale.ROOT,
            "%s on %s (%,d %s)%n",
            encoder.modelVersion(),
            kind,
            size,
            kind.equals("sts") ? "pairs" : "queries");
        for (Map.Entry<String, Double> m : result.metrics().entrySet()) {
          out.printf(
              Locale.ROOT,
              "  %-18s %.4f%s%n",
              m.getKey(),
              m.getValue(),
              m.getKey().equals(result.primary()) ? "  (primary)" : "");
        }
      }
      out.flush();
    }
    return 0;
  }
}
