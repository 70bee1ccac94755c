package io.twinstream.trainer.eval;

/** Measures how well an {@link Embedder} does on a fixed data set. */
public interface Evaluator {

  /** Evaluates {@code embedder}. */
  Evaluation evaluate(Embedder embedder);
}
