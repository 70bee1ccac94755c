package io.twinstream.lifecycle;

import java.io.IOException;

/**
 * Tells everyone that the store searches a version and every document has a vector of it: the
 * FULLY_SERVED announcement on {@code model-updates} (embedding jobs stop dual writing, query
 * servers embed queries with it, external sinks switch their alias).
 */
@FunctionalInterface
public interface Announcer {

  /** Announces FULLY_SERVED for {@code record}'s version; done when this returns. */
  void fullyServed(VersionRecord record) throws IOException;
}
