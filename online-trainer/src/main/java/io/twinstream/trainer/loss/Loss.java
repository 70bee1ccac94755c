package io.twinstream.trainer.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;

/**
 * A training objective for the twin encoder: a pure function of a batch's sentence embeddings (and
 * labels) to a scalar, differentiable with DJL's autograd. Implementations are immutable and record
 * their hyper-parameters in {@link #config()}, which goes into the manifest of the model they
 * trained.
 *
 * <p>Every constant an implementation multiplies or adds is created in {@code manager}, never
 * passed as a Java number: DJL frees the tensor it wraps a Java scalar in right after the
 * operation, which corrupts gradients if a garbage collection runs before the backward pass
 * (docs/stack.md).
 */
public interface Loss {

  /** The name used on the command line and in manifests ({@code mnrl}, {@code cosent}...). */
  String name();

  /** Hyper-parameters, by name, as recorded in a trained bundle's manifest. */
  Map<String, Object> config();

  /** What each training example must carry for this loss. */
  LossInputs inputs();

  /**
   * The loss of one batch, a scalar array owned by {@code manager}.
   *
   * @throws IllegalArgumentException if the batch lacks what {@link #inputs()} requires
   */
  NDArray compute(NDManager manager, BatchEmbeddings batch);
}
