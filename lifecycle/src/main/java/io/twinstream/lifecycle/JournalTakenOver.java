package io.twinstream.lifecycle;

import java.io.IOException;

/**
 * Another controller has taken over the journal this one wrote: this one must stop, since what it
 * knows of the versions may be stale and two controllers acting on one store could cut over twice.
 */
public final class JournalTakenOver extends IOException {

  public JournalTakenOver(String message, Throwable cause) {
    super(message, cause);
  }
}
