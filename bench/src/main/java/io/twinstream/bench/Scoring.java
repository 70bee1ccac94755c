package io.twinstream.bench;

import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.data.TrainingFile;
import io.twinstream.trainer.eval.Embedder;
import io.twinstream.trainer.eval.SimilarityEvaluator;
import io.twinstream.trainer.eval.VectorCache;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** How the long-document harnesses score a candidate: STS dev, and vectors cached per model. */
final class Scoring {

  private Scoring() {}

  /**
   * STS dev from {@code file} ({@code data/stsb-ccbysa/dev.tsv} when null): Spearman of cosines.
   */
  static SimilarityEvaluator stsDev(String file) throws IOException {
    TrainingFile.Contents sts =
        TrainingFile.readSts(Path.of(file != null ? file : "data/stsb-ccbysa/dev.tsv"));
    List<TrainingExample> pairs = sts.examples();
    return new SimilarityEvaluator(
        pairs.stream().map(TrainingExample::anchor).toList(),
        pairs.stream().map(TrainingExample::positive).toList(),
        pairs.stream().mapToDouble(TrainingExample::label).toArray());
  }

  /** {@code encoder}'s vectors, each text embedded once however often it is evaluated. */
  static Embedder cached(SentenceEncoder encoder, String version, int capacity) {
    return new VectorCache(version, capacity)
        .over(
            texts ->
                encoder.encode(texts).stream()
                    .map(SentenceEmbedding::vector)
                    .toArray(float[][]::new));
  }
}
