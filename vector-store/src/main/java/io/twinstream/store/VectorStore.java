package io.twinstream.store;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where versioned vectors go downstream: one row per (document id, model version), search within
 * one version, and one serving version switched atomically.
 *
 * <p>A promotion changes the vector space, so vectors of two versions never meet in a search: a new
 * version is filled alongside the serving one (backfill, dual write) and {@link #cutOver} switches
 * searches to it only once it is complete. Upserts are idempotent and ordered by {@link
 * VectorRow#sequence}, so an at-least-once writer (a replay after a restart, a retry) leaves
 * exactly one row per (id, version) holding the newest vector.
 *
 * <p>Implementations: {@link LuceneVectorStore} (embedded, on disk) and {@link PgVectorStore}
 * (PostgreSQL + pgvector). They are safe for concurrent use.
 */
public interface VectorStore extends AutoCloseable {

  /** Vector dimensions this store takes. */
  int dimensions();

  /**
   * Writes {@code rows}: each replaces the stored row of its (id, version) unless that one has a
   * higher sequence, and is refused when its document was deleted ({@link #delete(List)}) at a
   * sequence at least its own. Durable when this returns.
   *
   * @return how many rows were written (the others were older than what is stored or deleted)
   * @throws IllegalArgumentException naming the row, when its vector has the wrong dimensions
   * @throws VectorStoreException when the store fails; nothing of the call may be assumed written,
   *     and retrying it is safe
   */
  int upsert(List<VectorRow> rows);

  /** The stored row of (id, version), if there is one. */
  Optional<VectorRow> get(String id, String version);

  /**
   * Deletes document {@code id} under every version, whatever its rows' sequences, and forgets it:
   * an operator's removal (a row upserted later is stored). Returns how many rows went.
   */
  long delete(String id);

  /**
   * Applies {@code deletions} (tombstones): the rows of each document, under every version, whose
   * sequence is at most the deletion's go, and the deletion is remembered (durably), so that an
   * upsert of that document with a sequence at most the deletion's is refused as stale (a replay or
   * a late write of an older text) while a newer one is stored. Idempotent and independent of the
   * order of upserts and deletions, as upserts are. Durable when this returns.
   *
   * @return how many rows went
   * @throws VectorStoreException as {@link #upsert}; retrying is safe
   */
  long delete(List<Deletion> deletions);

  /**
   * The {@code k} rows of {@code version} most similar to {@code query} (cosine), best first. An
   * index search: approximate where the store's index is (HNSW).
   */
  default List<Hit> search(String version, float[] query, int k) {
    return search(version, query, k, Map.of());
  }

  /**
   * {@link #search} among the rows of {@code version} whose attributes hold every entry of {@code
   * filter} (equality of strings), filtered before the k nearest are chosen: k hits when k rows
   * match.
   */
  List<Hit> search(String version, float[] query, int k, Map<String, String> filter);

  /**
   * {@link #search} on the serving version, reading which version serves and searching it as one
   * step: a cut-over in between is seen entirely or not at all.
   *
   * @throws IllegalStateException when no version serves yet
   */
  ServedHits searchServing(float[] query, int k);

  /** The version searches use, if one was cut over to. */
  Optional<String> servingVersion();

  /**
   * Makes {@code version} the serving version, atomically and durably. The caller decides when a
   * version is complete (after its backfill); a rollback is a cut-over to a version still kept.
   *
   * @throws IllegalArgumentException when the store holds no row of {@code version}
   */
  void cutOver(String version);

  /** Rows of {@code version}. */
  long count(String version);

  /** Rows per version held. */
  Map<String, Long> versions();

  /**
   * Drops every row of {@code version} (an old version past its grace period).
   *
   * @throws IllegalArgumentException when {@code version} is serving
   */
  long dropVersion(String version);

  /**
   * Makes searches fast after a bulk load (a backfill), before a cut-over: the embedded store
   * merges its segments (each upsert made one, and a search visits each one's HNSW graph);
   * PostgreSQL maintains its index as rows come and does nothing here. Takes time proportional to
   * the rows; searches and writes wait meanwhile in the embedded store.
   */
  default void compact() {}

  @Override
  void close();
}
