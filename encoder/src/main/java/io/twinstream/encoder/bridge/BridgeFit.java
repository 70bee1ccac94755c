package io.twinstream.encoder.bridge;

/**
 * How well a {@link QueryBridge} was fitted.
 *
 * @param texts texts embedded by both versions that the map was fitted on
 * @param heldOut further texts kept out of the fit to measure it
 * @param cosine mean cosine similarity of the mapped vectors of the held-out texts to their vectors
 *     in the older version's space (1 is a perfect map)
 * @param identityCosine the same without a map (the newer version's vectors as they are): what the
 *     map improves on
 * @param seconds the fit's time
 */
public record BridgeFit(
    int texts, int heldOut, double cosine, double identityCosine, double seconds) {

  /** Mean squared distance of unit vectors whose mean cosine is {@link #cosine}: 2 (1 - cosine). */
  public double error() {
    return 2 * (1 - cosine);
  }
}
