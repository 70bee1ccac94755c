package io.twinstream.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.store.LuceneVectorStore;
import io.twinstream.store.VectorRow;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP server with real clients: LangChain4j's OpenAI embedding model pointed at it unchanged,
 * and raw HTTP for every request shape and every error the API names.
 */
class QueryServerIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static EmbeddingService service;
  private static QueryServer server;
  private static SentenceEncoder direct;
  private static String base;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    service = new EmbeddingService(null, "default-int8", ServeOptions.defaults());
    server = new QueryServer(service, null, null, null, ServeOptions.defaults().withPort(0));
    base = "http://localhost:" + server.port();
    direct =
        SentenceEncoder.open(
            ModelBundle.builtin(ModelBundle.DEFAULT_INT8), EncoderOptions.defaults());
  }

  @AfterAll
  static void stop() {
    server.close();
    service.close();
    direct.close();
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode error(HttpResponse<String> r, int status) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    JsonNode e = JSON.readTree(r.body()).get("error");
    assertTrue(e.get("message").asText().length() > 5, r.body());
    assertTrue(e.has("type"), r.body());
    return e;
  }

  @Test
  void langChain4jsOpenAiClientUsesItAsItsEmbeddingProviderUnchanged() {
    OpenAiEmbeddingModel model =
        OpenAiEmbeddingModel.builder()
            .baseUrl(base + "/v1")
            .apiKey("not-needed")
            .modelName("fully-served")
            .build();
    List<String> texts = List.of("Where is my parcel?", "Refund for order 55-1182");
    var response = model.embedAll(texts.stream().map(TextSegment::from).toList());
    assertEquals(2, response.content().size());
    for (int i = 0; i < texts.size(); i++) {
      assertArrayEquals(
          direct.encode(texts.get(i)).vector(), response.content().get(i).vector(), 1e-5f);
    }
    assertTrue(response.tokenUsage().inputTokenCount() > 4, response.tokenUsage().toString());
  }

  @Test
  void aStringOrAnArrayAsFloatsOrBase64AndShortenedVectorsRenormalised() throws Exception {
    JsonNode one = JSON.readTree(post("/v1/embeddings", "{\"input\": \"hello world\"}").body());
    assertEquals("list", one.get("object").asText());
    assertEquals(
        ModelBundle.builtin(ModelBundle.DEFAULT_INT8).version(), one.get("model").asText());
    assertEquals(384, one.get("data").get(0).get("embedding").size());
    int tokens = direct.encode("hello world").tokens();
    assertEquals(tokens, one.get("usage").get("prompt_tokens").asInt());
    assertEquals(tokens, one.get("usage").get("total_tokens").asInt());

    JsonNode b64 =
        JSON.readTree(
            post(
                    "/v1/embeddings",
                    "{\"input\": [\"a\", \"hello world\"], \"encoding_format\": \"base64\"}")
                .body());
    assertEquals(1, b64.get("data").get(1).get("index").asInt());
    byte[] raw = Base64.getDecoder().decode(b64.get("data").get(1).get("embedding").asText());
    float[] decoded = new float[raw.length / 4];
    ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(decoded);
    assertArrayEquals(direct.encode("hello world").vector(), decoded, 1e-5f);

    JsonNode shortened =
        JSON.readTree(
            post("/v1/embeddings", "{\"input\": \"hello world\", \"dimensions\": 64}").body());
    JsonNode v = shortened.get("data").get(0).get("embedding");
    assertEquals(64, v.size());
    double norm = 0;
    for (JsonNode x : v) {
      norm += x.asDouble() * x.asDouble();
    }
    assertEquals(1.0, norm, 1e-5);
  }

  @Test
  void badRequestsAreAnsweredInOpenAisErrorShapeWithTheRightStatus() throws Exception {
    assertEquals(
        "input", error(post("/v1/embeddings", "{\"input\": []}"), 400).get("param").asText());
    error(post("/v1/embeddings", "{\"input\": \"\"}"), 400);
    error(post("/v1/embeddings", "{\"input\": [1, 2]}"), 400);
    error(post("/v1/embeddings", "{\"inp"), 400);
    error(post("/v1/embeddings", "[\"a\"]"), 400);
    error(post("/v1/embeddings", "{\"input\": \"a\", \"encoding_format\": \"hex\"}"), 400);
    error(post("/v1/embeddings", "{\"input\": \"a\", \"dimensions\": 999}"), 400);
    JsonNode unknown = error(post("/v1/embeddings", "{\"input\": \"a\", \"model\": \"v9\"}"), 404);
    assertEquals("model_not_found", unknown.get("code").asText());
    String huge = "{\"input\": \"" + "x".repeat(10 << 20) + "\"}";
    error(post("/v1/embeddings", huge), 413);
    StringBuilder many = new StringBuilder("{\"input\": [");
    for (int i = 0; i < 100_000; i++) {
      many.append(i == 0 ? "" : ",").append("\"t\"");
    }
    error(post("/v1/embeddings", many.append("]}").toString()), 413);
    HttpResponse<String> get =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/v1/embeddings")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    error(get, 405);
    error(post("/v1/search", "{\"query\": \"a\"}"), 404); // no store configured
  }

  @Test
  void modelsHealthReadinessAndMetricsAnswer() throws Exception {
    post("/v1/embeddings", "{\"input\": \"counted\"}");
    HttpResponse<String> models =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/v1/models")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, models.statusCode());
    assertTrue(models.body().contains("serving, fully served"), models.body());
    for (String path : List.of("/healthz", "/readyz")) {
      assertEquals(
          200,
          HTTP.send(
                  HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
                  HttpResponse.BodyHandlers.ofString())
              .statusCode());
    }
    String metrics =
        HTTP.send(
                HttpRequest.newBuilder(URI.create(base + "/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertTrue(
        metrics.contains("twinstream_serve_requests_total{endpoint=\"embeddings\",status=\"200\"}"),
        metrics);
    assertTrue(metrics.contains("twinstream_serve_request_seconds_bucket"), metrics);
    assertTrue(metrics.contains("twinstream_serve_batches_total"), metrics);
  }

  @Test
  void aSearchWithAFilterAnswersOnlyMatchingDocumentsOfTheStoresVersion(@TempDir Path dir)
      throws Exception {
    String version = ModelBundle.builtin(ModelBundle.DEFAULT_INT8).version();
    try (LuceneVectorStore store = LuceneVectorStore.open(dir.resolve("store"), 384)) {
      List<String> docs = List.of("parcel lost", "parcel late", "refund please", "colis perdu");
      List<String> langs = List.of("en", "en", "en", "fr");
      List<VectorRow> rows = new java.util.ArrayList<>();
      for (int i = 0; i < docs.size(); i++) {
        rows.add(
            new VectorRow(
                "d" + i,
                version,
                direct.encode(docs.get(i)).vector(),
                Map.of("lang", langs.get(i)),
                1));
      }
      store.upsert(rows);
      store.cutOver(version);
      try (QueryServer searching =
          new QueryServer(service, store, null, null, ServeOptions.defaults().withPort(0))) {
        String url = "http://localhost:" + searching.port();
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(url + "/v1/search"))
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"query\": \"my parcel is lost\", \"k\": 3,"
                                + " \"filter\": {\"lang\": \"en\"}}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode doc = JSON.readTree(r.body());
        assertEquals(version, doc.get("model").asText());
        assertEquals(3, doc.get("data").size());
        assertEquals("d0", doc.get("data").get(0).get("id").asText());
        doc.get("data").forEach(hit -> assertTrue(!hit.get("id").asText().equals("d3"), r.body()));
        HttpResponse<String> bad =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(url + "/v1/search"))
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"query\": \"x\", \"filter\": {\"lang\": 1}}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("filter", error(bad, 400).get("param").asText());
      }
    }
  }
}
