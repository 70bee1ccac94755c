package io.twinstream.lifecycle;

import java.time.Duration;

/**
 * Gives every document of the documents topic a vector of a version in the store: a bounded job (on
 * a local mini-cluster, or submitted to a Flink cluster). Idempotent: run again after a failure, it
 * completes what is missing and leaves one row per document.
 */
public interface Backfiller {

  /**
   * Backfills {@code version}; returns when every document read has its row.
   *
   * @param progress told about progress about once a second; when it throws, the backfill stops
   *     (its job is cancelled) and the exception is rethrown
   * @throws Exception when the backfill failed; the store keeps what was written
   */
  Result backfill(String version, Progress progress) throws Exception;

  /**
   * Whether every live document of the documents topic has a row of {@code version} in the store
   * now, checked document by document (not assumed from a count): a version the stream filled needs
   * no backfill, and one that misses documents written after its backfill read the topic must not
   * be cut over to yet. The default, false, means "not known": backfill.
   */
  default boolean complete(String version) throws Exception {
    return false;
  }

  /** Told about a backfill's progress. */
  @FunctionalInterface
  interface Progress {
    /**
     * @param rows rows of the version in the store so far
     * @param documents records of the documents topic the backfill reads
     */
    void update(long rows, long documents);
  }

  /**
   * What a backfill did.
   *
   * @param documents records of the documents topic it read
   * @param took from its start to its end
   */
  record Result(long documents, Duration took) {}
}
