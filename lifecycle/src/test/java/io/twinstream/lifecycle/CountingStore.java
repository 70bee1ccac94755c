package io.twinstream.lifecycle;

import io.twinstream.store.Deletion;
import io.twinstream.store.Hit;
import io.twinstream.store.ServedHits;
import io.twinstream.store.VectorRow;
import io.twinstream.store.VectorStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A real store that also remembers which versions it was cut over to, in order. */
final class CountingStore implements VectorStore {

  final VectorStore store;
  final List<String> cutOvers = new ArrayList<>();

  CountingStore(VectorStore store) {
    this.store = store;
  }

  @Override
  public int dimensions() {
    return store.dimensions();
  }

  @Override
  public int upsert(List<VectorRow> rows) {
    return store.upsert(rows);
  }

  @Override
  public Optional<VectorRow> get(String id, String version) {
    return store.get(id, version);
  }

  @Override
  public long delete(String id) {
    return store.delete(id);
  }

  @Override
  public long delete(List<Deletion> deletions) {
    return store.delete(deletions);
  }

  @Override
  public List<Hit> search(String version, float[] query, int k, Map<String, String> filter) {
    return store.search(version, query, k, filter);
  }

  @Override
  public ServedHits searchServing(float[] query, int k) {
    return store.searchServing(query, k);
  }

  @Override
  public Optional<String> servingVersion() {
    return store.servingVersion();
  }

  @Override
  public synchronized void cutOver(String version) {
    store.cutOver(version);
    cutOvers.add(version);
  }

  @Override
  public long count(String version) {
    return store.count(version);
  }

  @Override
  public Map<String, Long> versions() {
    return store.versions();
  }

  @Override
  public long dropVersion(String version) {
    return store.dropVersion(version);
  }

  @Override
  public void close() {
    store.close();
  }
}
