package io.twinstream.bench;

import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.trainer.data.BeirDataset;
import io.twinstream.trainer.eval.Embedder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How fast an evaluation embeds a corpus of paragraphs: {@link Embedder#embedAll} (slices cut from
 * the texts sorted by length) against slices in corpus order (what it did before), on the same
 * encoder in the same run, alternating, a few times each.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.CorpusEmbeddingHarness
 * [corpus.jsonl=data/squad-retrieval-small/corpus.jsonl] [documents=2000] [repeats=3]}
 */
public final class CorpusEmbeddingHarness {

  private CorpusEmbeddingHarness() {}

  public static void main(String[] args) throws Exception {
    Path corpus = Path.of(args.length > 0 ? args[0] : "data/squad-retrieval-small/corpus.jsonl");
    int documents = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
    int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    Path empty = java.nio.file.Files.createTempFile("empty", ".tsv");
    java.nio.file.Files.writeString(empty, "query-id\tcorpus-id\tscore\n");
    Path queries = java.nio.file.Files.createTempFile("queries", ".jsonl");
    empty.toFile().deleteOnExit();
    queries.toFile().deleteOnExit();
    List<String> texts =
        new ArrayList<>(BeirDataset.read(corpus, queries, empty).corpus().values())
            .subList(0, documents);
    System.out.printf(
        Locale.ROOT, "%s; %d documents of %s%n", MachineInfo.describe(), texts.size(), corpus);
    try (SentenceEncoder encoder =
        SentenceEncoder.open(ModelBundle.builtin(ModelBundle.DEFAULT), EncoderOptions.defaults())) {
      Embedder embedder =
          t -> encoder.encode(t).stream().map(SentenceEmbedding::vector).toArray(float[][]::new);
      embedder.embedAll(texts.subList(0, 128), 64, done -> {}); // warm-up
      List<Double> sorted = new ArrayList<>();
      List<Double> inOrder = new ArrayList<>();
      for (int r = 0; r < repeats; r++) {
        long t0 = System.nanoTime();
        embedder.embedAll(texts, 64, done -> {});
        sorted.add(texts.size() / ((System.nanoTime() - t0) / 1e9));
        long t1 = System.nanoTime();
        for (int start = 0; start < texts.size(); start += 64) {
          embedder.embed(texts.subList(start, Math.min(texts.size(), start + 64)));
        }
        inOrder.add(texts.size() / ((System.nanoTime() - t1) / 1e9));
        System.out.printf(
            Locale.ROOT,
            "repeat %d: sorted slices %.1f docs/s, corpus-order slices %.1f docs/s%n",
            r + 1,
            sorted.get(r),
            inOrder.get(r));
      }
      double a = Stats.median(sorted);
      double b = Stats.median(inOrder);
      System.out.printf(
          Locale.ROOT,
          "median: sorted %.1f docs/s, corpus order %.1f docs/s, ratio %.2fx%n",
          a,
          b,
          a / b);
    }
  }
}
