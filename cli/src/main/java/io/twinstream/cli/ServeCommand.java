package io.twinstream.cli;

import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.serve.EmbeddingService;
import io.twinstream.serve.LifecycleFollower;
import io.twinstream.serve.ModelUpdatesFollower;
import io.twinstream.serve.QueryServer;
import io.twinstream.serve.ServeOptions;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorStore;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code twinstream serve}: the query side over HTTP. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Serves embeddings with OpenAI's API (POST /v1/embeddings) and searches of a vector store",
      "(POST /v1/search) with the query embedded by the version the store searches; GET /v1/models,",
      "/healthz, /readyz, /metrics. With --registry and Kafka it follows model-updates as the",
      "embedding job does. Prints url=http://HOST:PORT/v1 on a line of its own; runs until Ctrl-C.",
      "Options and defaults: docs/serve.md."
    })
final class ServeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--port",
      defaultValue = "8080",
      description = "HTTP port; 0 = any free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--registry",
      paramLabel = "ROOT",
      description = "Model registry: versions to serve, and where updates point (default: none).")
  String registry;

  @Option(
      names = "--model",
      paramLabel = "registry|default|default-int8|DIR",
      description =
          "First model: registry = the registry's CURRENT version (default when the registry has"
              + " one; else default).")
  String model;

  @Mixin UpdatesTopic updates;

  @Mixin KafkaClientOptions kafka;

  @Option(
      names = "--lifecycle-topic",
      defaultValue = "model-lifecycle",
      paramLabel = "TOPIC",
      description =
          "With --bootstrap and --registry: the version lifecycle's journal, followed for each"
              + " version's phase, backfill, cut-over and drop deadline in /v1/models (default:"
              + " ${DEFAULT-VALUE}).")
  String lifecycleTopic;

  @Option(
      names = "--store",
      defaultValue = "lucene",
      paramLabel = "lucene|pgvector",
      description = "The vector store /v1/search searches (default: ${DEFAULT-VALUE}).")
  String storeKind;

  @Option(
      names = "--store-location",
      paramLabel = "DIR|JDBC_URL",
      description = "The store's directory or jdbc:postgresql:// URL (default: none, no search).")
  String storeLocation;

  @Option(
      names = "--store-table",
      defaultValue = "embeddings",
      description = "pgvector: the table (default: ${DEFAULT-VALUE}).")
  String storeTable;

  @Option(names = "--store-user", defaultValue = "", description = "pgvector: database user.")
  String storeUser;

  @Option(
      names = "--max-body-bytes",
      defaultValue = "4194304",
      description = "Largest request body; bigger: 413 (default: ${DEFAULT-VALUE}).")
  int maxBodyBytes;

  @Option(
      names = "--max-inputs",
      defaultValue = "2048",
      description = "Most inputs per embeddings request; more: 413 (default: ${DEFAULT-VALUE}).")
  int maxInputs;

  @Option(
      names = "--batch-tokens",
      defaultValue = "16384",
      description = "Token budget of one encoder call (default: ${DEFAULT-VALUE}).")
  int batchTokens;

  @Option(
      names = "--max-wait",
      defaultValue = "PT0S",
      description =
          "Longest wait of a batch's first request for others; 0 = none, requests arriving while"
              + " an encoder call runs form the next batch (default: ${DEFAULT-VALUE}).")
  Duration maxWait;

  @Option(
      names = "--queue-limit",
      defaultValue = "1024",
      description =
          "Requests waiting for the encoder at most; one more: 429 (default: ${DEFAULT-VALUE}).")
  int queueLimit;

  @Option(
      names = "--http-threads",
      defaultValue = "128",
      description = "Requests in flight at most (default: ${DEFAULT-VALUE}).")
  int httpThreads;

  @Option(
      names = "--encoder-threads",
      defaultValue = "0",
      description = "Encoder compute threads; 0 = every core (default: ${DEFAULT-VALUE}).")
  int encoderThreads;

  @Option(
      names = "--max-k",
      defaultValue = "1000",
      description = "Most results one search may ask for (default: ${DEFAULT-VALUE}).")
  int maxK;

  @Option(
      names = "--bridge",
      defaultValue = "true",
      negatable = true,
      description =
          "While the store still searches the version a newly promoted one was trained from,"
              + " embed queries with the new version and map them into the store's space with the"
              + " new version's query bridge (--no-bridge: the store's version embeds queries until"
              + " the cut-over; default: ${DEFAULT-VALUE}).")
  boolean bridge;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ServeOptions options;
    StoreSpec storeSpec = null;
    try {
      options =
          new ServeOptions(
              port,
              maxBodyBytes,
              maxInputs,
              batchTokens,
              maxWait,
              queueLimit,
              httpThreads,
              encoderThreads,
              maxK,
              bridge);
      if (storeLocation != null) {
        String pw = System.getenv(StoreArguments.PASSWORD_ENV);
        storeSpec =
            new StoreSpec(
                storeKind, storeLocation, storeTable, 384, storeUser, pw == null ? "" : pw);
      }
    } catch (IllegalArgumentException e) {
      err.println("twinstream serve: " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    }
    ModelRegistry reg = registry == null ? null : Registries.open(registry);
    String first =
        model != null ? model : reg != null && reg.current().isPresent() ? "registry" : "default";
    VectorStore store = null;
    ModelUpdatesFollower follower = null;
    LifecycleFollower lifecycle = null;
    QueryServer server = null;
    CountDownLatch stop = new CountDownLatch(1);
    Thread hook = new Thread(stop::countDown, "twinstream-serve-shutdown");
    try (EmbeddingService embeddings = new EmbeddingService(reg, first, options)) {
      if (storeSpec != null) {
        store = storeSpec.open();
      }
      if (reg != null && kafka.given()) {
        follower =
            new ModelUpdatesFollower(
                kafka.clientConfig(), updates.topic, updates.registryName, embeddings::onUpdate);
      }
      if (reg != null && kafka.given()) {
        lifecycle =
            new LifecycleFollower(kafka.clientConfig(), lifecycleTopic, updates.registryName);
      }
      server = new QueryServer(embeddings, store, reg, follower, lifecycle, options);
      out.println("url=http://localhost:" + server.port() + "/v1");
      out.flush();
      err.println(
          "twinstream serve: "
              + embeddings.serving().version
              + (follower != null ? ", following " + updates.topic : ", no model updates followed")
              + (store != null ? ", searching " + storeSpec : "")
              + ". Ctrl-C stops it.");
      err.flush();
      Runtime.getRuntime().addShutdownHook(hook);
      stop.await();
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    } finally {
      if (server != null) {
        server.close();
      }
      if (follower != null) {
        follower.close();
      }
      if (lifecycle != null) {
        lifecycle.close();
      }
      if (store != null) {
        store.close();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running
      }
    }
  }
}
