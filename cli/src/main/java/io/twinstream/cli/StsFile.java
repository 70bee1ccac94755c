package io.twinstream.cli;

import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.data.BadLine;
import io.twinstream.trainer.data.TrainingFile;
import io.twinstream.trainer.eval.SimilarityEvaluator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/** The STS files {@code train --eval-sts} and {@code eval --sts} read. */
final class StsFile {

  private StsFile() {}

  /** An STS evaluator from a TSV or labelled JSONL file, or null after reporting why not. */
  static SimilarityEvaluator evaluator(Path file, PrintWriter err) {
    TrainingFile.Contents c;
    try {
      c = TrainingFile.read(file);
    } catch (IOException e) {
      err.println("twinstream: cannot read " + file + ": " + e.getMessage());
      return null;
    }
    for (BadLine bad : c.badLines()) {
      err.println(bad + " (skipped)");
    }
    List<TrainingExample> labelled = c.examples().stream().filter(e -> e.label() != null).toList();
    if (labelled.size() < 2) {
      err.println("twinstream: " + file + " has fewer than 2 labelled pairs to evaluate");
      return null;
    }
    return new SimilarityEvaluator(
        labelled.stream().map(TrainingExample::anchor).toList(),
        labelled.stream().map(TrainingExample::positive).toList(),
        labelled.stream().mapToDouble(TrainingExample::label).toArray());
  }
}
