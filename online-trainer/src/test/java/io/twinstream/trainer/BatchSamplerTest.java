package io.twinstream.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchSamplerTest {

  @Test
  void shuffleCutsTheOrderAsItIs() {
    List<TrainingExample> examples = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      examples.add(TrainingExample.pair("q" + i, "d" + i));
    }
    List<List<TrainingExample>> batches = BatchSampler.SHUFFLE.batches(examples, 2);
    assertEquals(
        List.of(examples.subList(0, 2), examples.subList(2, 4), examples.subList(4, 5)), batches);
  }

  @Test
  void noDuplicatesKeepsARepeatedTextForALaterBatchAndLosesNothing() {
    // Two questions about paragraph p1, and p1 skipped for a third question: in one batch of
    // in-batch negatives p1 would be its own questions' negative.
    List<TrainingExample> examples =
        List.of(
            TrainingExample.pair("who built it?", "p1"),
            TrainingExample.pair("when was it built?", "p1"),
            TrainingExample.triplet("where is it?", "p2", "p1"),
            TrainingExample.pair("how tall is it?", "p3"),
            TrainingExample.pair("what is it made of?", "p4"));
    List<List<TrainingExample>> batches = BatchSampler.NO_DUPLICATES.batches(examples, 3);
    List<TrainingExample> seen = new ArrayList<>();
    for (List<TrainingExample> batch : batches) {
      Set<String> texts = new HashSet<>();
      for (TrainingExample e : batch) {
        assertTrue(texts.add(e.anchor()), batch.toString());
        assertTrue(texts.add(e.positive()), batch.toString());
        if (e.negative() != null) {
          assertTrue(texts.add(e.negative()), batch.toString());
        }
      }
      seen.addAll(batch);
    }
    assertEquals(Set.copyOf(examples), Set.copyOf(seen));
    assertEquals(examples.size(), seen.size());
    // In order where it can: the first batch takes the first example, skips the two about p1.
    assertEquals(List.of(examples.get(0), examples.get(3), examples.get(4)), batches.get(0));
  }

  @Test
  void anExampleRepeatingItsOwnTextStillGetsABatch() {
    List<TrainingExample> examples = List.of(TrainingExample.pair("same", "same"));
    assertEquals(List.of(examples), BatchSampler.NO_DUPLICATES.batches(examples, 4));
  }

  @Test
  void namesParseAndAWrongOneSaysWhatIsAccepted() {
    assertEquals(BatchSampler.NO_DUPLICATES, BatchSampler.parse("no-duplicates"));
    assertEquals(BatchSampler.SHUFFLE, BatchSampler.parse("SHUFFLE"));
    assertEquals(
        "batch sampler must be shuffle or no-duplicates, got 'random'",
        assertThrows(IllegalArgumentException.class, () -> BatchSampler.parse("random"))
            .getMessage());
  }
}
