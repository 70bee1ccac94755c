package io.twinstream.store;

import java.util.List;

/**
 * A search of the serving version: the version it ran against (all hits are from it) and the hits,
 * best first.
 */
public record ServedHits(String version, List<Hit> hits) {

  public ServedHits {
    hits = List.copyOf(hits);
  }
}
