package io.twinstream.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The texts the suite streams: STS-benchmark sentences (in the repository's {@code data/}), and
 * every {@link #LONG_EVERY}th record a document of about 250 tokens made of consecutive sentences,
 * so that batches carry the mix of short and long texts a real stream has.
 */
final class Corpus {

  /** One record in this many is a long document. */
  static final int LONG_EVERY = 20;

  private final List<String> sentences;

  private Corpus(List<String> sentences) {
    this.sentences = sentences;
  }

  /** From {@code twinstream.dataDir} (default {@code data}, from the repository root). */
  static Corpus load() throws IOException {
    Path data =
        Path.of(System.getProperty("twinstream.dataDir", "data")).resolve("stsb-ccbysa/train.tsv");
    if (!Files.isRegularFile(data)) {
      throw new IOException(
          data.toAbsolutePath()
              + " is missing: run from the repository root, or set -Dtwinstream.dataDir");
    }
    List<String> lines = Files.readAllLines(data, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] cols = line.split("\t", -1);
      out.add(cols[5]);
      out.add(cols[6]);
    }
    return new Corpus(out);
  }

  /** The text of record {@code i}. */
  String text(long i) {
    int n = sentences.size();
    if (i % LONG_EVERY == LONG_EVERY - 1) {
      StringBuilder doc = new StringBuilder();
      for (int k = 0; doc.length() < 1_100; k++) {
        doc.append(sentences.get((int) ((i + k * 7919L) % n))).append(' ');
      }
      return doc.toString().trim();
    }
    return sentences.get((int) (i % n));
  }
}
