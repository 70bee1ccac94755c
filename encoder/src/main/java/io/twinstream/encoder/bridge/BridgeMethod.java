package io.twinstream.encoder.bridge;

import java.util.Locale;

/** How a {@link QueryBridge} is fitted. */
public enum BridgeMethod {
  /** An affine map by ridge-regularised least squares: the closest fit, d² + d parameters. */
  LEAST_SQUARES,
  /** A rotation (orthogonal Procrustes, from one SVD): keeps lengths and angles, d² parameters. */
  PROCRUSTES,
  /** The identity plus a low-rank ReLU network trained by Adam on the squared error. */
  RESIDUAL,
  /**
   * Not a fit between two versions but a query adapter (adapter mode): the same residual network
   * trained on feedback, applied to queries embedded by the model its version shares with the
   * version whose documents it searches; that version's vectors serve it without a backfill.
   */
  ADAPTER;

  /**
   * The name options and files use: {@code least-squares}, {@code procrustes}, {@code residual}.
   */
  public String optionName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * The method {@code name} names ({@link #optionName()}, case-insensitive).
   *
   * @throws IllegalArgumentException naming the choices
   */
  public static BridgeMethod parse(String name) {
    for (BridgeMethod m : values()) {
      if (m.optionName().equalsIgnoreCase(name.trim())) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "unknown bridge method '" + name + "': least-squares, procrustes, residual or adapter");
  }
}
