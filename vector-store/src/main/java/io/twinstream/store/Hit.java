package io.twinstream.store;

/**
 * One search result.
 *
 * @param id the document id
 * @param score cosine similarity to the query, in [-1, 1]
 */
public record Hit(String id, double score) {}
