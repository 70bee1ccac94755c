package io.twinstream.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The simulated users' front end over HTTP: every search is a {@code POST /v1/search} to {@code
 * twinstream serve}, the path a real application takes; up to 16 in flight. Each answer names the
 * version it searched with a query embedded by that version; the demo knows which version its store
 * serves between two cut-overs, and counts an answer of another version as mixed.
 */
public final class HttpSearches implements SearchFrontEnd {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int IN_FLIGHT = 16;

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final URI uri;
  private final Map<String, Long> perVersion = new LinkedHashMap<>();
  private volatile String expected;
  private long mixed;
  private long bridged;
  private String lastMixed = "";

  /**
   * @param base the server's {@code http://host:port/v1}
   */
  public HttpSearches(String base) {
    this.uri = URI.create(base + "/search");
  }

  /** The version the store serves from now on (the demo's cut-overs set it). */
  public void expect(String version) {
    this.expected = version;
  }

  /**
   * One answer: the version whose documents were searched, the version that embedded the query
   * (another one when the newest version's query bridge served it), the hits' ids, best first.
   */
  public record Answer(String model, String queryModel, List<String> ids) {
    /** Whether the query went through a bridge into {@link #model}'s space. */
    public boolean bridged() {
      return !queryModel.equals(model);
    }
  }

  @Override
  public List<List<String>> search(List<String> queries, int k) {
    return answers(queries, k).stream().map(Answer::ids).toList();
  }

  /** Searches answered through a query bridge. */
  public synchronized long bridged() {
    return bridged;
  }

  /** {@link #search}, each answer with the versions it names. */
  public List<Answer> answers(List<String> queries, int k) {
    List<Answer> out = new ArrayList<>();
    for (int from = 0; from < queries.size(); from += IN_FLIGHT) {
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (String q : queries.subList(from, Math.min(queries.size(), from + IN_FLIGHT))) {
        String body;
        try {
          body = JSON.writeValueAsString(Map.of("query", q, "k", k));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        calls.add(
            http.sendAsync(
                HttpRequest.newBuilder(uri)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> call : calls) {
        HttpResponse<String> r = call.join();
        if (r.statusCode() != 200) {
          throw new IllegalStateException(
              "POST " + uri + ": HTTP " + r.statusCode() + " " + r.body());
        }
        JsonNode doc;
        try {
          doc = JSON.readTree(r.body());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        String version = doc.get("model").asText();
        String queryModel = doc.has("query_model") ? doc.get("query_model").asText() : version;
        synchronized (this) {
          perVersion.merge(version, 1L, Long::sum);
          if (!queryModel.equals(version)) {
            bridged++;
          }
          if (!version.equals(expected)) {
            mixed++;
            lastMixed = "a search answered by " + version + " while the store served " + expected;
          }
        }
        List<String> ids = new ArrayList<>();
        doc.get("data").forEach(hit -> ids.add(hit.get("id").asText()));
        out.add(new Answer(version, queryModel, List.copyOf(ids)));
      }
    }
    return out;
  }

  /** Searches answered per version. */
  public synchronized Map<String, Long> perVersion() {
    return Map.copyOf(perVersion);
  }

  /** Answers of another version than the store served. */
  public synchronized long mixed() {
    return mixed;
  }

  /** The last such answer, in words. */
  public synchronized String lastMixed() {
    return lastMixed;
  }
}
