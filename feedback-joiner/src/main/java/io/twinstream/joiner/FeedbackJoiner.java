package io.twinstream.joiner;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The joiner as a running application: creates its topics if they are missing, runs {@link
 * JoinerTopology} with {@code exactly_once_v2}, serves {@code /metrics}, {@code /healthz} (alive
 * unless Kafka Streams stopped) and {@code /readyz} (RUNNING) and prints a progress line now and
 * then. {@link #close()} stops it cleanly (state flushed, transactions committed).
 */
public final class FeedbackJoiner implements AutoCloseable {

  private final JoinerArguments arguments;
  private final JoinerMetrics metrics = new JoinerMetrics();
  private final KafkaStreams streams;
  private final HttpServer http;
  private final ScheduledExecutorService progress;

  private FeedbackJoiner(JoinerArguments arguments, Consumer<String> log) throws IOException {
    this.arguments = arguments;
    createTopics(arguments);
    this.streams =
        new KafkaStreams(JoinerTopology.build(arguments.config(), metrics), properties(arguments));
    streams.setUncaughtExceptionHandler(
        e -> {
          log.accept("twinstream joiner: stream thread failed: " + e);
          return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler
              .StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    if (arguments.metricsPort() > 0) {
      http = HttpServer.create(new InetSocketAddress(arguments.metricsPort()), 0);
      http.createContext(
          "/metrics",
          exchange -> {
            byte[] body = (metrics.prometheus() + stateLine()).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
      http.createContext("/healthz", exchange -> probe(exchange, alive(streams.state())));
      http.createContext(
          "/readyz", exchange -> probe(exchange, streams.state() == KafkaStreams.State.RUNNING));
      http.start();
    } else {
      http = null;
    }
    if (arguments.progressSeconds() > 0) {
      progress = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "joiner-progress"));
      progress.scheduleAtFixedRate(
          () -> log.accept("twinstream joiner: " + summary()),
          arguments.progressSeconds(),
          arguments.progressSeconds(),
          TimeUnit.SECONDS);
    } else {
      progress = null;
    }
  }

  /**
   * Creates the topics and starts the joiner.
   *
   * @throws IOException if the metrics port cannot be bound
   * @throws KafkaException naming the topic when a topic cannot be created
   */
  public static FeedbackJoiner start(JoinerArguments arguments, Consumer<String> log)
      throws IOException {
    FeedbackJoiner joiner = new FeedbackJoiner(arguments, log);
    joiner.streams.start();
    log.accept(
        "twinstream joiner: "
            + arguments.config().interactionsTopic()
            + " + "
            + arguments.config().documentsTopic()
            + " -> "
            + arguments.config().pairsTopic()
            + " (dead letters: "
            + arguments.config().deadLettersTopic()
            + ")"
            + (joiner.http == null
                ? ""
                : ", metrics on http://localhost:" + joiner.port() + "/metrics"));
    return joiner;
  }

  /**
   * Starts the joiner and blocks until the process is asked to stop (SIGTERM, Ctrl-C), then closes
   * it cleanly from the shutdown hook.
   */
  public static void runUntilStopped(JoinerArguments arguments, Consumer<String> log)
      throws IOException, InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    FeedbackJoiner joiner = start(arguments, log);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  joiner.close();
                  stopped.countDown();
                },
                "joiner-shutdown"));
    stopped.await();
  }

  /** The bound metrics port (useful when started with an ephemeral one), or 0. */
  public int port() {
    return http == null ? 0 : http.getAddress().getPort();
  }

  /** Its counters. */
  public JoinerMetrics metrics() {
    return metrics;
  }

  /** Kafka Streams' state (CREATED, REBALANCING, RUNNING, ...). */
  public KafkaStreams.State state() {
    return streams.state();
  }

  /** One line: the counters that matter. */
  public String summary() {
    Map<String, Long> m = metrics.snapshot();
    return String.format(
        "%s; events %d, pairs %d (%d positive, %d negative), searches %d, undecodable %d,"
            + " orphans %d, late %d, duplicates %d",
        streams.state(),
        m.get("events_in"),
        m.get("pairs_out"),
        m.get("positives_out"),
        m.get("negatives_out"),
        m.get("searches_closed"),
        m.get("undecodable"),
        m.get("orphans"),
        m.get("late"),
        m.get("duplicates"));
  }

  private String stateLine() {
    return "# HELP twinstream_joiner_running 1 when Kafka Streams is RUNNING\n"
        + "# TYPE twinstream_joiner_running gauge\n"
        + "twinstream_joiner_running "
        + (streams.state() == KafkaStreams.State.RUNNING ? 1 : 0)
        + "\n";
  }

  /**
   * Alive unless Kafka Streams has stopped for good: a restart (liveness probe) is what helps then.
   */
  static boolean alive(KafkaStreams.State state) {
    return switch (state) {
      case PENDING_ERROR, ERROR, PENDING_SHUTDOWN, NOT_RUNNING -> false;
      case CREATED, REBALANCING, RUNNING -> true;
    };
  }

  /** 200 with the state, or 503 with it: the body says why a probe failed. */
  private void probe(com.sun.net.httpserver.HttpExchange exchange, boolean ok) throws IOException {
    byte[] body = (streams.state() + "\n").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(ok ? 200 : 503, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  static Properties properties(JoinerArguments a) {
    Properties p = new Properties();
    p.putAll(a.kafka());
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, a.applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, a.bootstrap());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, a.stateDir().toString());
    // Pairs should reach the trainer soon after a search closes: commit every second.
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    return p;
  }

  private static void createTopics(JoinerArguments a) {
    JoinerConfig c = a.config();
    Properties p = new Properties();
    p.putAll(a.kafka());
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, a.bootstrap());
    try (Admin admin = Admin.create(p)) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (String topic :
          List.of(
              c.interactionsTopic(), c.documentsTopic(), c.pairsTopic(), c.deadLettersTopic())) {
        if (!existing.contains(topic)) {
          missing.add(new NewTopic(topic, Optional.empty(), Optional.empty()));
        }
      }
      for (NewTopic topic : missing) {
        try {
          admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new KafkaException(
                "cannot create topic " + topic.name() + ": " + e.getCause().getMessage(), e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while creating the joiner's topics", e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new KafkaException(
          "cannot reach Kafka at " + a.bootstrap() + " to create the joiner's topics: " + e, e);
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  public void close() {
    if (progress != null) {
      progress.shutdownNow();
    }
    streams.close(Duration.ofSeconds(30));
    if (http != null) {
      http.stop(0);
    }
  }
}
