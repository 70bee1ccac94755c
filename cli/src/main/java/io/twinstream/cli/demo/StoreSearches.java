package io.twinstream.cli.demo;

import io.twinstream.store.Hit;
import io.twinstream.store.ServedHits;
import io.twinstream.store.VectorStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulated users' searches against a vector store's serving version. Each search says which
 * version embedded its query; the store says which version it searched (reading the serving version
 * and searching it as one step). They must be the same: a search that compared a query of one
 * version with documents of another is counted as mixed, and the demo fails if there is any.
 */
public final class StoreSearches {

  private final VectorStore store;
  private final Map<String, Long> perVersion = new LinkedHashMap<>();
  private long mixed;
  private String lastMixed = "";

  public StoreSearches(VectorStore store) {
    this.store = store;
  }

  /** A ranker for queries embedded by {@code queryVersion}. */
  public Ranker forQueriesOf(String queryVersion) {
    return (query, k) -> {
      ServedHits served = store.searchServing(query, k);
      perVersion.merge(served.version(), 1L, Long::sum);
      if (!served.version().equals(queryVersion)) {
        mixed++;
        lastMixed = "a query of " + queryVersion + " searched " + served.version();
      }
      return served.hits().stream().map(Hit::id).toList();
    };
  }

  /** Searches per version searched. */
  public Map<String, Long> perVersion() {
    return Map.copyOf(perVersion);
  }

  /** Searches whose query and documents were of different versions. */
  public long mixed() {
    return mixed;
  }

  /** The last mixed search, in words (empty when none). */
  public String lastMixed() {
    return lastMixed;
  }

  /** The serving version's vectors of {@code ids}, read back from the store. */
  public CorpusVectors vectors(String version, List<String> ids) {
    CorpusVectors vectors = new CorpusVectors(ids);
    for (String id : ids) {
      store.get(id, version).ifPresent(row -> vectors.put(id, row.vector()));
    }
    return vectors;
  }
}
