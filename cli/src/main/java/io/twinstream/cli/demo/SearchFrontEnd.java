package io.twinstream.cli.demo;

import java.util.List;

/** What a search front end does for the simulated users: query texts in, ranked ids out. */
@FunctionalInterface
public interface SearchFrontEnd {

  /** The top {@code k} document ids of each query, best first, in the queries' order. */
  List<List<String>> search(List<String> queries, int k);
}
