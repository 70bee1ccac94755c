package io.twinstream.trainer.online;

import java.io.Serializable;

/**
 * Hears rounds start (on the round's thread) and end (on the caller's thread): metrics, alerts,
 * tests.
 */
public interface RoundObserver extends Serializable {

  /** A round is about to train {@code version}. */
  default void roundStarted(String version) {}

  /** A round ended and its outcome was announced (or found announced already). */
  default void roundFinished(RoundReport report) {}

  /** A round failed with an error (not a gate rejection). */
  default void roundFailed(String version, Throwable error) {}

  /**
   * A promoted version's announcement was committed and the registry's {@code CURRENT} now names
   * it.
   */
  default void madeCurrent(String version) {}
}
