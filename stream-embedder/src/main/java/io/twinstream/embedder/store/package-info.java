/**
 * From {@code embeddings} into a vector store: rows keyed by id and model version, ordered by the
 * record's offset ({@link io.twinstream.embedder.store.EmbeddingRows}), written in batches flushed
 * at every checkpoint with back-off on failure ({@link
 * io.twinstream.embedder.store.VectorStoreSink}), as a job of its own ({@link
 * io.twinstream.embedder.store.StoreSinkJob}).
 */
package io.twinstream.embedder.store;
