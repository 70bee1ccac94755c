package io.twinstream.cli.demo;

import java.util.List;

/** Ranks a corpus for a query vector: the search behind the simulated users' front end. */
@FunctionalInterface
public interface Ranker {

  /** The ids of the {@code k} documents most similar to {@code query}, best first. */
  List<String> topK(float[] query, int k);
}
