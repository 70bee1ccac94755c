package io.twinstream.bench;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.serve.EmbeddingService;
import io.twinstream.serve.QueryServer;
import io.twinstream.serve.ServeOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code twinstream serve} under load on loopback: requests/s, inputs/s and latency p50/p99 at 1, 8
 * and 64 concurrent clients (each a kept-alive HTTP/1.1 connection, {@link RawHttpClient}) sending
 * 1 or 16 short query texts per request to {@code /v1/embeddings}; in the same run, the bare
 * encoder's rate in batches of 32 (the baseline) and LangChain4j's in-process all-MiniLM-L6-v2
 * model doing the same work at the same concurrency. Each cell runs {@code seconds} after a warm-up
 * of 2 s.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.ServeHarness [seconds=10]}, or
 * {@code ServeHarness SECONDS repeat N} for the 8-client cell N times over.
 */
public final class ServeHarness {

  private ServeHarness() {}

  /** Query-like texts of 8-20 tokens. */
  static List<String> queries(int n) {
    String[] subjects = {
      "my parcel",
      "the refund",
      "order 55-1182",
      "the invoice",
      "my password",
      "the mobile app",
      "delivery to Lyon",
      "the subscription",
      "a damaged item",
      "the warranty"
    };
    String[] asks = {
      "where is %s and when will it arrive",
      "how do I get %s sorted out quickly",
      "why was %s rejected this morning",
      "can someone help me with %s please",
      "%s does not work since the last update"
    };
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          String.format(Locale.ROOT, asks[i % asks.length], subjects[(i / 5) % subjects.length])
              + " (ticket "
              + i
              + ")");
    }
    return out;
  }

  /** One cell's result. */
  record Cell(double requestsPerSecond, double inputsPerSecond, double p50Ms, double p99Ms) {}

  interface Call {
    void run(List<String> texts) throws Exception;
  }

  static Cell load(int clients, int inputs, double seconds, List<String> texts, Call call)
      throws Exception {
    AtomicBoolean measuring = new AtomicBoolean(false);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong failures = new AtomicLong();
    List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int id = c;
      Thread t =
          new Thread(
              () -> {
                for (int i = 0; running.get(); i++) {
                  int from = ((id * 7919 + i * inputs) % (texts.size() - inputs));
                  List<String> batch = texts.subList(from, from + inputs);
                  long t0 = System.nanoTime();
                  try {
                    call.run(batch);
                  } catch (Exception e) {
                    failures.incrementAndGet();
                  }
                  if (measuring.get()) {
                    latencies.add((System.nanoTime() - t0) / 1e6);
                  }
                }
              });
      t.start();
      threads.add(t);
    }
    Thread.sleep(2_000);
    measuring.set(true);
    long started = System.nanoTime();
    Thread.sleep((long) (seconds * 1000));
    measuring.set(false);
    double took = (System.nanoTime() - started) / 1e9;
    running.set(false);
    for (Thread t : threads) {
      t.join();
    }
    if (failures.get() > 0) {
      throw new IllegalStateException(failures.get() + " failed requests");
    }
    List<Double> l = new ArrayList<>(latencies);
    double rps = l.size() / took;
    return new Cell(rps, rps * inputs, Stats.percentile(l, 50), Stats.percentile(l, 99));
  }

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 10;
    List<String> texts = queries(4_096);
    if (args.length > 2 && args[1].equals("repeat")) {
      repeat(seconds, Integer.parseInt(args[2]), texts);
      return;
    }
    ModelBundle bundle = ModelBundle.builtin(ModelBundle.DEFAULT);
    double bare;
    try (SentenceEncoder encoder = SentenceEncoder.open(bundle, EncoderOptions.defaults())) {
      encoder.encode(texts.subList(0, 256));
      long t0 = System.nanoTime();
      int done = 0;
      while (System.nanoTime() - t0 < seconds * 1e9) {
        int from = (done * 32) % (texts.size() - 32);
        encoder.encode(texts.subList(from, from + 32));
        done++;
      }
      bare = done * 32 / ((System.nanoTime() - t0) / 1e9);
    }
    System.out.printf(
        Locale.ROOT,
        "%s; all-MiniLM-L6-v2 fp32; short queries (%d-%d tokens); bare encoder, batches of 32:"
            + " %.0f texts/s (baseline)%n",
        MachineInfo.describe(),
        8,
        20,
        bare);
    System.out.println(
        "| clients | inputs/request | serve req/s | serve inputs/s | serve / bare | serve p50 ms |"
            + " serve p99 ms | LangChain4j inputs/s | LangChain4j p50 ms | LangChain4j p99 ms |");
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    ServeOptions options = ServeOptions.defaults().withPort(0);
    EmbeddingModel lc4j = new AllMiniLmL6V2EmbeddingModel();
    try (EmbeddingService service = new EmbeddingService(null, ModelBundle.DEFAULT, options);
        QueryServer server = new QueryServer(service, null, null, null, options)) {
      for (int clients : new int[] {1, 8, 64}) {
        for (int inputs : new int[] {1, 16}) {
          Cell s = load(clients, inputs, seconds, texts, embeddingsCall(server.port()));
          Cell l =
              load(
                  clients,
                  inputs,
                  seconds,
                  texts,
                  batch -> lc4j.embedAll(batch.stream().map(TextSegment::from).toList()));
          System.out.printf(
              Locale.ROOT,
              "| %d | %d | %.0f | %.0f | %.2f | %.1f | %.1f | %.0f | %.1f | %.1f |%n",
              clients,
              inputs,
              s.requestsPerSecond(),
              s.inputsPerSecond(),
              s.inputsPerSecond() / bare,
              s.p50Ms(),
              s.p99Ms(),
              l.inputsPerSecond(),
              l.p50Ms(),
              l.p99Ms());
        }
      }
    }
  }

  /**
   * A POST of a batch's texts to {@code /v1/embeddings} on {@code port}, each load thread on a
   * kept-alive connection of its own.
   */
  static Call embeddingsCall(int port) {
    ThreadLocal<RawHttpClient> connection =
        ThreadLocal.withInitial(
            () -> {
              try {
                return new RawHttpClient("127.0.0.1", port);
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    return batch -> {
      StringBuilder body = new StringBuilder("{\"input\": [");
      for (int i = 0; i < batch.size(); i++) {
        body.append(i == 0 ? "\"" : ",\"").append(batch.get(i)).append('"');
      }
      byte[] bytes = body.append("]}").toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      int status = connection.get().post("/v1/embeddings", bytes);
      if (status != 200) {
        throw new IllegalStateException("HTTP " + status);
      }
    };
  }

  /**
   * The 8-client, single-input cell {@code times} times over, each on a fresh server: how much its
   * p99 moves from run to run on this machine ({@code ServeHarness SECONDS repeat TIMES}).
   */
  static void repeat(double seconds, int times, List<String> texts) throws Exception {
    ServeOptions options = ServeOptions.defaults().withPort(0);
    List<Double> p99 = new ArrayList<>();
    System.out.printf(
        Locale.ROOT, "%s; 8 clients x 1 input, %d runs%n", MachineInfo.describe(), times);
    System.out.println("| run | req/s | p50 ms | p99 ms |");
    System.out.println("|---:|---:|---:|---:|");
    for (int run = 1; run <= times; run++) {
      try (EmbeddingService service = new EmbeddingService(null, ModelBundle.DEFAULT, options);
          QueryServer server = new QueryServer(service, null, null, null, options)) {
        Cell c = load(8, 1, seconds, texts, embeddingsCall(server.port()));
        p99.add(c.p99Ms());
        System.out.printf(
            Locale.ROOT,
            "| %d | %.0f | %.1f | %.1f |%n",
            run,
            c.requestsPerSecond(),
            c.p50Ms(),
            c.p99Ms());
      }
    }
    System.out.printf(
        Locale.ROOT,
        "p99: median %.1f ms, min %.1f, max %.1f%n",
        Stats.median(p99),
        p99.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
        p99.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN));
  }
}
