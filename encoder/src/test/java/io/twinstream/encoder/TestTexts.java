package io.twinstream.encoder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/** Texts shared by the encoder tests. */
final class TestTexts {

  private TestTexts() {}

  /** The repository's data folder (set by the build; falls back to the module's parent). */
  static Path dataDir() {
    return Path.of(System.getProperty("twinstream.dataDir", "../data"));
  }

  /** Sentences of the STS benchmark split, in file order, without duplicates. */
  static List<String> stsSentences(String split) {
    Path file = dataDir().resolve("stsb-ccbysa").resolve(split + ".tsv");
    try {
      LinkedHashSet<String> unique = new LinkedHashSet<>();
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (String line : lines.subList(1, lines.size())) {
        String[] cols = line.split("\t", -1);
        unique.add(cols[5]);
        unique.add(cols[6]);
      }
      return List.copyOf(unique);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /**
   * 200 varied texts under 128 tokens: the hand-written multilingual, emoji, one-word and symbol
   * lines of {@code parity/varied.txt}, then STS test sentences of every source (captions, SNLI,
   * forum answers).
   */
  static List<String> parity200() {
    List<String> texts = new ArrayList<>(resourceLines("/parity/varied.txt"));
    List<String> sts = stsSentences("test");
    // Take from the whole split so that the long forum answers at its end are included.
    int step = Math.max(1, sts.size() / (200 - texts.size()));
    for (int i = 0; texts.size() < 200 && i < sts.size(); i += step) {
      String s = sts.get(i);
      if (s.split("\\s+").length < 70) {
        texts.add(s);
      }
    }
    return List.copyOf(texts);
  }

  static List<String> resourceLines(String resource) {
    try (var in = Objects.requireNonNull(TestTexts.class.getResourceAsStream(resource), resource)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static float maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new AssertionError("dimensions differ: " + a.length + " vs " + b.length);
    }
    float max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }
}
