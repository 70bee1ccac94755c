package io.twinstream.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.bridge.BridgeMethod;
import io.twinstream.encoder.bridge.QueryBridge;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.VersionLifecycle;
import io.twinstream.store.Hit;
import io.twinstream.store.VectorStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of {@code twinstream serve}, on the JDK's own server: {@code POST /v1/embeddings}
 * (OpenAI's API), {@code POST /v1/search} (the vector store's serving version, the query embedded
 * by that same version), {@code GET /v1/models}, {@code /healthz}, {@code /readyz}, {@code
 * /metrics} (Prometheus text). Errors in OpenAI's shape: {@code {"error": {"message", "type",
 * "param", "code"}}}.
 */
public final class QueryServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(QueryServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFactory FACTORY = JSON.getFactory();
  private static final double[] BUCKETS_MS = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000};

  static {
    // The JDK's server writes a response's headers and body separately; with Nagle's algorithm on,
    // a client's delayed ACK then holds the body back about 40 ms. Read once, when the server's
    // configuration class loads: before the first server of the process is created.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final EmbeddingService embeddings;
  private final VectorStore store;
  private final ModelRegistry registry;
  private final ModelUpdatesFollower follower;
  private final LifecycleFollower lifecycle;
  private final ServeOptions options;
  private final HttpServer http;
  private final ExecutorService threads;
  private final Metrics metrics = new Metrics();
  private final QueryBridges bridges;

  /**
   * Starts serving on {@code options.port()}.
   *
   * @param store the vector store searches go to, or null (no {@code /v1/search})
   * @param registry for {@code /v1/models}, or null
   * @param follower the model-updates follower, or null (no updates followed)
   */
  public QueryServer(
      EmbeddingService embeddings,
      VectorStore store,
      ModelRegistry registry,
      ModelUpdatesFollower follower,
      ServeOptions options)
      throws IOException {
    this(embeddings, store, registry, follower, null, options);
  }

  /**
   * Starts serving on {@code options.port()}, {@code /v1/models} with each version's lifecycle.
   *
   * @param lifecycle the lifecycle journal's follower, or null (no lifecycle in {@code /v1/models})
   */
  public QueryServer(
      EmbeddingService embeddings,
      VectorStore store,
      ModelRegistry registry,
      ModelUpdatesFollower follower,
      LifecycleFollower lifecycle,
      ServeOptions options)
      throws IOException {
    this.lifecycle = lifecycle;
    this.embeddings = embeddings;
    this.store = store;
    this.registry = registry;
    this.follower = follower;
    this.options = options;
    this.bridges =
        options.bridge() && registry != null && store != null
            ? new QueryBridges(registry, embeddings.dimension())
            : QueryBridges.none();
    this.http = HttpServer.create(new InetSocketAddress(options.port()), 1024);
    this.threads =
        Executors.newFixedThreadPool(
            options.httpThreads(),
            r -> {
              Thread t = new Thread(r, "twinstream-serve-http");
              t.setDaemon(true);
              return t;
            });
    http.setExecutor(threads);
    http.createContext("/v1/embeddings", e -> handle(e, "embeddings", "POST", this::embeddings));
    http.createContext("/v1/search", e -> handle(e, "search", "POST", this::search));
    http.createContext("/v1/models", e -> handle(e, "models", "GET", this::models));
    http.createContext("/healthz", e -> handle(e, "healthz", "GET", this::health));
    http.createContext("/readyz", e -> handle(e, "readyz", "GET", this::ready));
    http.createContext("/metrics", e -> handle(e, "metrics", "GET", this::metricsPage));
    http.start();
    LOG.info("Serving on http://localhost:{}/v1", port());
  }

  /** The port it listens on. */
  public int port() {
    return http.getAddress().getPort();
  }

  /** An answer: status, content type, body. */
  private record Answer(int status, String contentType, byte[] body) {
    static Answer json(byte[] body) {
      return new Answer(200, "application/json", body);
    }
  }

  @FunctionalInterface
  private interface Handler {
    Answer handle(HttpExchange exchange) throws Exception;
  }

  private void handle(HttpExchange exchange, String endpoint, String method, Handler handler) {
    long started = System.nanoTime();
    Answer answer;
    try {
      if (!exchange.getRequestMethod().equals(method)) {
        throw new ServeException(
            405, "invalid_request_error", null, endpoint + " takes " + method + " only");
      }
      answer = handler.handle(exchange);
    } catch (ServeException e) {
      answer = error(e.status(), e.type(), e.param(), e.getMessage());
    } catch (ExecutionException e) {
      answer =
          e.getCause() instanceof ServeException s
              ? error(s.status(), s.type(), s.param(), s.getMessage())
              : error(500, "server_error", null, String.valueOf(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      answer = error(503, "server_error", null, "interrupted");
    } catch (Exception e) {
      LOG.error("{} failed", endpoint, e);
      answer = error(500, "server_error", null, e.toString());
    }
    try {
      exchange.getResponseHeaders().set("Content-Type", answer.contentType());
      exchange.sendResponseHeaders(answer.status(), answer.body().length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer.body());
      }
    } catch (IOException e) {
      LOG.debug("client went away", e);
    } finally {
      exchange.close();
      metrics.request(endpoint, answer.status(), System.nanoTime() - started);
    }
  }

  private static Answer error(int status, String type, String param, String message) {
    Map<String, Object> err = new LinkedHashMap<>();
    err.put("message", message);
    err.put("type", type);
    err.put("param", param);
    err.put("code", status == 404 ? "model_not_found" : null);
    try {
      return new Answer(status, "application/json", JSON.writeValueAsBytes(Map.of("error", err)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonNode body(HttpExchange exchange) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (InputStream in = exchange.getRequestBody()) {
      String length = exchange.getRequestHeaders().getFirst("Content-Length");
      if (length != null && Long.parseLong(length.trim()) > options.maxBodyBytes()) {
        drain(in);
        throw tooLarge();
      }
      byte[] buf = new byte[16384];
      int n;
      while ((n = in.read(buf)) > 0) {
        bytes.write(buf, 0, n);
        if (bytes.size() > options.maxBodyBytes()) {
          drain(in);
          throw tooLarge();
        }
      }
    }
    try {
      JsonNode node = JSON.readTree(bytes.toByteArray());
      if (node == null || !node.isObject()) {
        throw ServeException.badRequest(null, "the body must be a JSON object");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw ServeException.badRequest(
          null, "the body is not valid JSON: " + e.getOriginalMessage());
    }
  }

  /**
   * Reads and drops the rest of a body that is too large, up to 64 times the limit, so that the
   * client reads the 413 instead of a reset connection.
   */
  private void drain(InputStream in) throws IOException {
    long budget = 64L * options.maxBodyBytes();
    byte[] buf = new byte[65536];
    int n;
    while (budget > 0 && (n = in.read(buf)) > 0) {
      budget -= n;
    }
  }

  private ServeException tooLarge() {
    return new ServeException(
        413,
        "invalid_request_error",
        null,
        "the request body is larger than " + options.maxBodyBytes() + " bytes (max-body-bytes)");
  }

  private Answer embeddings(HttpExchange exchange) throws Exception {
    JsonNode req = body(exchange);
    List<String> input = inputs(req.get("input"));
    ModelSelector model =
        ModelSelector.parse(text(req, "model", ModelSelector.FULLY_SERVED.toString()));
    String format = text(req, "encoding_format", "float");
    if (!format.equals("float") && !format.equals("base64")) {
      throw ServeException.badRequest(
          "encoding_format", "encoding_format must be float or base64, got '" + format + "'");
    }
    int dims = embeddings.dimension();
    JsonNode d = req.get("dimensions");
    if (d != null && !d.isNull()) {
      if (!d.canConvertToInt() || d.asInt() < 1 || d.asInt() > embeddings.dimension()) {
        throw ServeException.badRequest(
            "dimensions",
            "dimensions must be an integer in [1, " + embeddings.dimension() + "], got " + d);
      }
      dims = d.asInt();
    }
    EmbeddingService.Embedded out = embeddings.embed(input, model).get(5, TimeUnit.MINUTES);
    metrics.inputs(input.size(), out.tokens());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + input.size() * dims * 12);
    try (JsonGenerator g = FACTORY.createGenerator(bytes)) {
      g.writeStartObject();
      g.writeStringField("object", "list");
      g.writeArrayFieldStart("data");
      for (int i = 0; i < out.vectors().size(); i++) {
        float[] v = shorten(out.vectors().get(i), dims);
        g.writeStartObject();
        g.writeStringField("object", "embedding");
        g.writeNumberField("index", i);
        if (format.equals("base64")) {
          ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
          buf.asFloatBuffer().put(v);
          g.writeStringField("embedding", Base64.getEncoder().encodeToString(buf.array()));
        } else {
          g.writeArrayFieldStart("embedding");
          for (float x : v) {
            g.writeNumber(x);
          }
          g.writeEndArray();
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeStringField("model", out.version());
      g.writeObjectFieldStart("usage");
      g.writeNumberField("prompt_tokens", out.tokens());
      g.writeNumberField("total_tokens", out.tokens());
      g.writeEndObject();
      g.writeEndObject();
    }
    return Answer.json(bytes.toByteArray());
  }

  /** The first {@code dims} dimensions, normalised again to unit length. */
  static float[] shorten(SentenceEmbedding e, int dims) {
    float[] v = e.vector();
    if (dims == v.length) {
      return v;
    }
    float[] out = new float[dims];
    double norm = 0;
    for (int i = 0; i < dims; i++) {
      out[i] = v[i];
      norm += v[i] * v[i];
    }
    float scale = norm > 0 ? (float) (1 / Math.sqrt(norm)) : 0f;
    for (int i = 0; i < dims; i++) {
      out[i] *= scale;
    }
    return out;
  }

  private List<String> inputs(JsonNode input) {
    if (input == null || input.isNull()) {
      throw ServeException.badRequest(
          "input", "input is required: a string or an array of strings");
    }
    List<String> texts = new ArrayList<>();
    if (input.isTextual()) {
      texts.add(input.asText());
    } else if (input.isArray()) {
      if (input.size() > options.maxInputs()) {
        throw new ServeException(
            413,
            "invalid_request_error",
            "input",
            input.size()
                + " inputs in one request, at most "
                + options.maxInputs()
                + " (max-inputs)");
      }
      for (JsonNode n : input) {
        if (!n.isTextual()) {
          throw ServeException.badRequest(
              "input",
              "input must be a string or an array of strings (token arrays are not taken)");
        }
        texts.add(n.asText());
      }
    } else {
      throw ServeException.badRequest("input", "input must be a string or an array of strings");
    }
    if (texts.isEmpty()) {
      throw ServeException.badRequest("input", "input is empty");
    }
    for (int i = 0; i < texts.size(); i++) {
      if (texts.get(i).isEmpty()) {
        throw ServeException.badRequest(
            "input", "input[" + i + "] is an empty string: nothing to embed");
      }
    }
    return texts;
  }

  private static String text(JsonNode req, String field, String fallback) {
    JsonNode n = req.get(field);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isTextual()) {
      throw ServeException.badRequest(field, field + " must be a string");
    }
    return n.asText();
  }

  private Answer search(HttpExchange exchange) throws Exception {
    if (store == null) {
      throw new ServeException(
          404, "invalid_request_error", null, "no vector store is configured (--store-location)");
    }
    JsonNode req = body(exchange);
    JsonNode q = req.get("query");
    if (q == null || !q.isTextual() || q.asText().isEmpty()) {
      throw ServeException.badRequest("query", "query must be a non-empty string");
    }
    int k = 10;
    JsonNode kn = req.get("k");
    if (kn != null && !kn.isNull()) {
      if (!kn.canConvertToInt() || kn.asInt() < 1 || kn.asInt() > options.maxK()) {
        throw ServeException.badRequest(
            "k", "k must be an integer in [1, " + options.maxK() + "], got " + kn);
      }
      k = kn.asInt();
    }
    Map<String, String> filter = new LinkedHashMap<>();
    JsonNode f = req.get("filter");
    if (f != null && !f.isNull()) {
      if (!f.isObject()) {
        throw ServeException.badRequest(
            "filter", "filter must be an object of attribute names to string values");
      }
      for (var field : (Iterable<Map.Entry<String, JsonNode>>) f::fields) {
        if (!field.getValue().isTextual()) {
          throw ServeException.badRequest(
              "filter", "filter." + field.getKey() + " must be a string (attributes are strings)");
        }
        filter.put(field.getKey(), field.getValue().asText());
      }
    }
    // Read which version the store searches, embed the query with that very version (or with the
    // newest promoted version and map it into the store's space with its bridge), search it.
    // A cut-over in between leaves the old version's rows in place (they are dropped only after a
    // grace period), so the answer is consistent either way; the version is re-read if the one
    // read was let go meanwhile.
    for (int attempt = 1; ; attempt++) {
      String version =
          store
              .servingVersion()
              .orElseThrow(
                  () ->
                      new ServeException(
                          503, "server_error", null, "the vector store serves no version yet"));
      QueryBridge bridge = bridges.towards(embeddings.serving().version, version);
      String queryVersion = bridge == null ? version : bridge.from();
      EmbeddingService.Embedded e;
      try {
        e =
            embeddings
                .embed(List.of(q.asText()), new ModelSelector.Version(queryVersion))
                .get(5, TimeUnit.MINUTES);
      } catch (ExecutionException failed) {
        boolean moved = !store.servingVersion().orElse(version).equals(version);
        if (attempt < 3 && moved) {
          continue;
        }
        throw failed;
      }
      if (!e.version().equals(queryVersion)) {
        throw new IllegalStateException("embedded by " + e.version() + ", not " + queryVersion);
      }
      float[] vector = e.vectors().get(0).vector();
      if (bridge != null) {
        vector = bridge.apply(vector);
        bridges.bridged.incrementAndGet();
      }
      List<Hit> hits = store.search(version, vector, k, filter);
      metrics.inputs(1, e.tokens());
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + hits.size() * 48);
      try (JsonGenerator g = FACTORY.createGenerator(bytes)) {
        g.writeStartObject();
        g.writeStringField("object", "list");
        g.writeStringField("model", version);
        if (bridge != null) {
          // The documents are the store's version's; the query was embedded by the newer one.
          g.writeStringField("query_model", bridge.from());
          g.writeStringField("bridge", bridge.method().optionName());
        }
        g.writeArrayFieldStart("data");
        for (Hit h : hits) {
          g.writeStartObject();
          g.writeStringField("id", h.id());
          g.writeNumberField("score", h.score());
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeObjectFieldStart("usage");
        g.writeNumberField("prompt_tokens", e.tokens());
        g.writeNumberField("total_tokens", e.tokens());
        g.writeEndObject();
        g.writeEndObject();
      }
      return Answer.json(bytes.toByteArray());
    }
  }

  /**
   * A version's state as the lifecycle recorded it; {@code rows} counted in the store now (a
   * running backfill's progress), not read from the record.
   */
  private static Map<String, Object> lifecycle(VersionLifecycle l, long rows) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("phase", l.getPhase().name());
    m.put("since", text(l.getAt()));
    m.put("rows", rows);
    m.put("documents", l.getDocuments());
    m.put("backfill_started", text(l.getBackfillStarted()));
    m.put("backfill_finished", text(l.getBackfillFinished()));
    m.put("cut_over", text(l.getCutOver()));
    m.put("drop_due", text(l.getDropDue()));
    m.put("note", l.getNote().toString());
    return m;
  }

  /** A query bridge as {@code /v1/models} shows it. */
  private static Map<String, Object> bridge(QueryBridge b) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("to", b.to());
    m.put("method", b.method().optionName());
    m.put("texts", b.fit().texts());
    if (Double.isFinite(b.fit().cosine())) { // an adapter is trained on feedback: no held-out fit
      m.put("held_out_cosine", b.fit().cosine());
      m.put("held_out_cosine_without", b.fit().identityCosine());
    }
    m.put(b.method() == BridgeMethod.ADAPTER ? "train_seconds" : "fit_seconds", b.fit().seconds());
    return m;
  }

  private static String text(java.time.Instant t) {
    return t == null ? null : t.toString();
  }

  private Answer models(HttpExchange exchange) throws Exception {
    Map<String, String> status = new TreeMap<>();
    if (registry != null) {
      registry.list().forEach(m -> status.put(m.version(), "published"));
    }
    if (follower != null) {
      follower
          .statuses()
          .forEach(
              (v, s) ->
                  status.put(
                      v,
                      s == ModelStatus.REJECTED
                          ? "rejected"
                          : s == ModelStatus.FULLY_SERVED ? "was fully served" : "was serving"));
    }
    String serving = embeddings.serving().version;
    String fully = embeddings.fullyServedVersion();
    status.put(serving, serving.equals(fully) ? "serving, fully served" : "serving, backfilling");
    if (!serving.equals(fully)) {
      status.put(fully, "fully served");
    }
    if (store != null) {
      store
          .servingVersion()
          .ifPresent(
              v -> {
                status.merge(v, "searched by the store", (a, b) -> a + ", " + b);
                if (bridges.towards(serving, v) != null) {
                  status.merge(serving, "bridged", (a, b) -> a + ", " + b);
                }
              });
    }
    Map<String, VersionLifecycle> lives = lifecycle == null ? Map.of() : lifecycle.versions();
    lives.keySet().forEach(v -> status.putIfAbsent(v, "in the store's lifecycle"));
    Map<String, Long> rows = store == null ? Map.of() : store.versions();
    List<Map<String, Object>> data = new ArrayList<>();
    status.forEach(
        (v, s) -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("id", v);
          m.put("object", "model");
          m.put("owned_by", "twinstream");
          m.put("status", s);
          QueryBridge bridge = bridges.loaded().get(v);
          if (bridge != null) {
            m.put("bridge", bridge(bridge));
          }
          VersionLifecycle l = lives.get(v);
          if (l != null) {
            m.put(
                "lifecycle", lifecycle(l, store == null ? l.getRows() : rows.getOrDefault(v, 0L)));
          }
          data.add(m);
        });
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("object", "list");
    doc.put("data", data);
    return Answer.json(JSON.writeValueAsBytes(doc));
  }

  private Answer health(HttpExchange exchange) {
    return new Answer(200, "text/plain", "ok\n".getBytes(StandardCharsets.UTF_8));
  }

  private Answer ready(HttpExchange exchange) {
    boolean ready =
        (follower == null || follower.alive()) && (lifecycle == null || lifecycle.alive());
    if (!ready) {
      throw new ServeException(
          503, "server_error", null, "not following model-updates: see the log");
    }
    return new Answer(
        200,
        "text/plain",
        ("ready: " + embeddings.serving().version + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private Answer metricsPage(HttpExchange exchange) {
    StringBuilder b = new StringBuilder();
    metrics.write(b);
    gauge(b, "twinstream_serve_queue", "requests waiting for the encoder", embeddings::queued);
    counter(b, "twinstream_serve_batches_total", "encoder calls", embeddings.batches::get);
    counter(
        b,
        "twinstream_serve_batched_requests_total",
        "requests embedded in those calls (divided by the calls: requests per call)",
        embeddings.batchedRequests::get);
    counter(
        b,
        "twinstream_serve_encode_seconds_total",
        "time in encoder calls",
        () -> embeddings.encodeNanos.get() / 1e9);
    counter(
        b,
        "twinstream_serve_rejected_total",
        "requests refused with 429: the queue was full",
        embeddings.rejectedFull::get);
    counter(
        b, "twinstream_serve_model_refusals_total", "model updates refused", embeddings::refusals);
    counter(
        b,
        "twinstream_serve_bridged_searches_total",
        "searches whose query the newest version embedded and its bridge mapped into the store's"
            + " version's space",
        bridges.bridged::get);
    counter(
        b,
        "twinstream_serve_bridge_refusals_total",
        "query bridges refused (damaged, of another dimension): searches went on without them",
        bridges.refused::get);
    Map<String, QueryBridge> loaded = bridges.loaded();
    if (!loaded.isEmpty()) {
      b.append("# HELP twinstream_serve_bridge_cosine held-out cosine of a query bridge's fit\n");
      b.append("# TYPE twinstream_serve_bridge_cosine gauge\n");
      loaded.forEach(
          (v, x) ->
              b.append("twinstream_serve_bridge_cosine{from=\"")
                  .append(v)
                  .append("\",to=\"")
                  .append(x.to())
                  .append("\"} ")
                  .append(x.fit().cosine())
                  .append('\n'));
      b.append("# HELP twinstream_serve_bridge_texts texts a query bridge was fitted on\n");
      b.append("# TYPE twinstream_serve_bridge_texts gauge\n");
      loaded.forEach(
          (v, x) ->
              b.append("twinstream_serve_bridge_texts{from=\"")
                  .append(v)
                  .append("\",to=\"")
                  .append(x.to())
                  .append("\"} ")
                  .append(x.fit().texts())
                  .append('\n'));
    }
    b.append("# HELP twinstream_serve_model version serving (1) and fully served (1)\n");
    b.append("# TYPE twinstream_serve_model gauge\n");
    b.append("twinstream_serve_model{model_version=\"")
        .append(embeddings.serving().version)
        .append("\",role=\"serving\"} 1\n");
    b.append("twinstream_serve_model{model_version=\"")
        .append(embeddings.fullyServedVersion())
        .append("\",role=\"fully_served\"} 1\n");
    return new Answer(
        200, "text/plain; version=0.0.4", b.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static void gauge(StringBuilder b, String name, String help, Supplier<Number> value) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n');
    b.append("# TYPE ").append(name).append(" gauge\n");
    b.append(name).append(' ').append(value.get()).append('\n');
  }

  private static void counter(StringBuilder b, String name, String help, Supplier<Number> value) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n');
    b.append("# TYPE ").append(name).append(" counter\n");
    b.append(name).append(' ').append(value.get()).append('\n');
  }

  /** Requests by endpoint and status, latency histograms, inputs and tokens. */
  private static final class Metrics {
    private final Map<String, long[]> requests = new TreeMap<>();
    private final Map<String, long[]> latency = new TreeMap<>();
    private final Map<String, double[]> latencySum = new TreeMap<>();
    private long inputs;
    private long tokens;

    synchronized void request(String endpoint, int status, long nanos) {
      requests.computeIfAbsent(endpoint + "\",status=\"" + status, k -> new long[1])[0]++;
      long[] buckets = latency.computeIfAbsent(endpoint, k -> new long[BUCKETS_MS.length + 1]);
      double ms = nanos / 1e6;
      for (int i = 0; i < BUCKETS_MS.length; i++) {
        if (ms <= BUCKETS_MS[i]) {
          buckets[i]++;
        }
      }
      buckets[BUCKETS_MS.length]++;
      latencySum.computeIfAbsent(endpoint, k -> new double[1])[0] += ms / 1000;
    }

    synchronized void inputs(int n, int t) {
      inputs += n;
      tokens += t;
    }

    synchronized void write(StringBuilder b) {
      b.append("# HELP twinstream_serve_requests_total requests answered\n");
      b.append("# TYPE twinstream_serve_requests_total counter\n");
      requests.forEach(
          (k, v) ->
              b.append("twinstream_serve_requests_total{endpoint=\"")
                  .append(k)
                  .append("\"} ")
                  .append(v[0])
                  .append('\n'));
      b.append("# HELP twinstream_serve_request_seconds time to answer a request\n");
      b.append("# TYPE twinstream_serve_request_seconds histogram\n");
      latency.forEach(
          (endpoint, buckets) -> {
            for (int i = 0; i < BUCKETS_MS.length; i++) {
              b.append("twinstream_serve_request_seconds_bucket{endpoint=\"")
                  .append(endpoint)
                  .append("\",le=\"")
                  .append(String.format(Locale.ROOT, "%.3f", BUCKETS_MS[i] / 1000))
                  .append("\"} ")
                  .append(buckets[i])
                  .append('\n');
            }
            b.append("twinstream_serve_request_seconds_bucket{endpoint=\"")
                .append(endpoint)
                .append("\",le=\"+Inf\"} ")
                .append(buckets[BUCKETS_MS.length])
                .append('\n');
            b.append("twinstream_serve_request_seconds_count{endpoint=\"")
                .append(endpoint)
                .append("\"} ")
                .append(buckets[BUCKETS_MS.length])
                .append('\n');
            b.append("twinstream_serve_request_seconds_sum{endpoint=\"")
                .append(endpoint)
                .append("\"} ")
                .append(String.format(Locale.ROOT, "%.6f", latencySum.get(endpoint)[0]))
                .append('\n');
          });
      b.append("# TYPE twinstream_serve_inputs_total counter\ntwinstream_serve_inputs_total ")
          .append(inputs)
          .append('\n');
      b.append("# TYPE twinstream_serve_tokens_total counter\ntwinstream_serve_tokens_total ")
          .append(tokens)
          .append('\n');
    }
  }

  @Override
  public void close() {
    http.stop(1);
    threads.shutdownNow();
    bridges.close();
  }
}
