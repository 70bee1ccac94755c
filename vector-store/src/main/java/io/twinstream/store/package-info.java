/**
 * Versioned vectors downstream, in plain Java: the {@link io.twinstream.store.VectorStore} port
 * (one row per document and model version, search within a version, an atomically switched serving
 * version) with an embedded store ({@link io.twinstream.store.LuceneVectorStore}, Lucene's HNSW on
 * disk) and PostgreSQL + pgvector ({@link io.twinstream.store.PgVectorStore}). No Flink, no Kafka:
 * the sink and the backfill that feed a store are adapters elsewhere.
 */
package io.twinstream.store;
