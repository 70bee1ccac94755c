package io.twinstream.trainer.data;

import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.loss.LossInputs;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns labelled pairs into what a loss needs: for losses trained on (anchor, positive) pairs, the
 * pairs whose label reaches the threshold (the others are dropped); for losses on binary labels,
 * graded labels become 1 at or above the threshold and 0 below. Examples that already fit pass
 * through unchanged.
 */
public final class ExampleAdapter {

  /** Default threshold on labels in [0, 1]: an STS score of 4 out of 5. */
  public static final float DEFAULT_THRESHOLD = 0.8f;

  private ExampleAdapter() {}

  /** What was done: the examples for the loss, and how many were dropped or relabelled. */
  public record Adapted(List<TrainingExample> examples, int dropped, int relabelled) {}

  /** Adapts {@code examples} for a loss needing {@code inputs}. */
  public static Adapted adapt(List<TrainingExample> examples, LossInputs inputs, float threshold) {
    List<TrainingExample> out = new ArrayList<>(examples.size());
    int dropped = 0;
    int relabelled = 0;
    for (TrainingExample e : examples) {
      if (e.label() == null || inputs == LossInputs.GRADED_LABEL) {
        out.add(e);
      } else if (inputs == LossInputs.ANCHOR_POSITIVE) {
        if (e.label() >= threshold) {
          out.add(TrainingExample.pair(e.anchor(), e.positive()));
        } else {
          dropped++;
        }
      } else if (inputs == LossInputs.BINARY_LABEL) {
        if (e.label() == 0f || e.label() == 1f) {
          out.add(e);
        } else {
          out.add(
              TrainingExample.labelled(e.anchor(), e.positive(), e.label() >= threshold ? 1f : 0f));
          relabelled++;
        }
      } else {
        out.add(e); // TRIPLET: labelled pairs cannot become triplets; the trainer names them
      }
    }
    return new Adapted(out, dropped, relabelled);
  }
}
