package io.twinstream.cli.demo;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/** The typed parts of the demo's report besides its versions. */
public final class DemoSummaries {

  private DemoSummaries() {}

  /**
   * What the task was.
   *
   * @param trafficQueries queries the simulated users search with
   * @param devQueries queries the gate scores candidates on
   * @param testQueries queries the report scores versions on (never trained or gated on)
   */
  public record Task(
      String name, int documents, int trafficQueries, int devQueries, int testQueries) {}

  /** Records into ({@code in}) or out of ({@code out}) a topic. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TopicFlow(Long in, Long out) {
    public static TopicFlow in(long n) {
      return new TopicFlow(n, null);
    }

    public static TopicFlow out(long n) {
      return new TopicFlow(null, n);
    }
  }

  /**
   * The vector store at the end.
   *
   * @param store its kind
   * @param serving the version it searches
   * @param mixedSearches searches that compared vectors of two versions (must be 0)
   * @param versions every version it held
   */
  @JsonPropertyOrder({"store", "serving", "mixedSearches", "versions"})
  public record Store(
      String store, String serving, long mixedSearches, Map<String, StoredVersion> versions) {

    static Store none() {
      return new Store("", "", 0, Map.of());
    }
  }

  /** The feedback joiner's counters at the end, and the mean weight of the pairs it wrote. */
  public static final class Joiner {
    private final Map<String, Long> counters;
    private final double meanWeight;

    /**
     * @param counters its counters by name ({@code events_in}, {@code pairs_out}, ...)
     */
    public Joiner(Map<String, Long> counters, double meanWeight) {
      this.counters = new LinkedHashMap<>(counters);
      this.meanWeight = meanWeight;
    }

    static Joiner none() {
      return new Joiner(Map.of(), Double.NaN);
    }

    @JsonAnyGetter
    public Map<String, Long> counters() {
      return counters;
    }

    @JsonProperty("mean_weight")
    public Double meanWeight() {
      return VersionRow.finite(meanWeight);
    }
  }
}
