package io.twinstream.trainer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** How an epoch's shuffled examples are cut into batches. */
public enum BatchSampler {
  /** In shuffled order, {@code batchSize} at a time. */
  SHUFFLE,

  /**
   * In shuffled order, but a batch never holds the same text twice: an example whose anchor,
   * positive or negative is already in the batch is kept for a later batch (sentence-transformers'
   * {@code NoDuplicatesBatchSampler}). With in-batch negatives (MNRL) a repeated text is otherwise
   * a negative of the query it answers — a document clicked for two questions, or clicked for one
   * and skipped for another, teaches both ways in the same step. A batch may be smaller than {@code
   * batchSize} only at the end of an epoch.
   */
  NO_DUPLICATES;

  /** {@code shuffle} or {@code no-duplicates} (also in upper case, with underscores). */
  public static BatchSampler parse(String value) {
    String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (BatchSampler s : values()) {
      if (s.name().equals(v)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "batch sampler must be shuffle or no-duplicates, got '" + value + "'");
  }

  /** The batches of {@code shuffled}, in order; every example lands in exactly one. */
  public List<List<TrainingExample>> batches(List<TrainingExample> shuffled, int batchSize) {
    List<List<TrainingExample>> out = new ArrayList<>();
    if (this == SHUFFLE) {
      for (int start = 0; start < shuffled.size(); start += batchSize) {
        out.add(shuffled.subList(start, Math.min(shuffled.size(), start + batchSize)));
      }
      return out;
    }
    LinkedList<TrainingExample> waiting = new LinkedList<>(shuffled);
    while (!waiting.isEmpty()) {
      List<TrainingExample> batch = new ArrayList<>(batchSize);
      Set<String> texts = new HashSet<>();
      for (var it = waiting.iterator(); it.hasNext() && batch.size() < batchSize; ) {
        TrainingExample e = it.next();
        List<String> own = texts(e);
        if (batch.isEmpty() || own.stream().noneMatch(texts::contains)) {
          batch.add(e);
          texts.addAll(own);
          it.remove();
        }
      }
      out.add(batch);
    }
    return out;
  }

  private static List<String> texts(TrainingExample e) {
    List<String> out = new ArrayList<>(3);
    out.add(e.anchor());
    out.add(e.positive());
    if (e.negative() != null) {
      out.add(e.negative());
    }
    return out;
  }
}
