package io.twinstream.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The sentences every encoder benchmark embeds: the sentences of the STS benchmark (CC BY-SA, in
 * {@code data/stsb-ccbysa}), all splits, both columns, repeated to the size asked and shuffled with
 * a fixed seed. Short, real English sentences (captions, SNLI, forum answers): 5 to 60 tokens,
 * about 13 on average.
 */
public final class BenchCorpus {

  private BenchCorpus() {}

  /**
   * The data folder: system property {@code twinstream.dataDir}, else {@code data} under the
   * working directory.
   */
  public static Path dataDir() {
    return Path.of(System.getProperty("twinstream.dataDir", "data"));
  }

  /** {@code size} sentences, deterministic for a given size. */
  public static List<String> sentences(int size) {
    List<String> all = new ArrayList<>();
    for (String split : List.of("train", "dev", "test")) {
      Path file = dataDir().resolve("stsb-ccbysa").resolve(split + ".tsv");
      try {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
          String[] cols = line.split("\t", -1);
          all.add(cols[5].strip());
          all.add(cols[6].strip());
        }
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot read "
                + file.toAbsolutePath()
                + " (run from the repository root or set -Dtwinstream.dataDir)",
            e);
      }
    }
    List<String> out = new ArrayList<>(size);
    while (out.size() < size) {
      out.addAll(all.subList(0, Math.min(all.size(), size - out.size())));
    }
    Collections.shuffle(out, new Random(42));
    return out;
  }

  /** Writes {@code size} sentences, one per line. */
  public static Path write(Path file, int size) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, sentences(size), StandardCharsets.UTF_8);
    return file;
  }
}
