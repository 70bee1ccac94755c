package io.twinstream.cli;

import io.twinstream.embedder.EmbedderJob;
import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobArguments;
import io.twinstream.embedder.JobEnvironment;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.SentenceStreamHook;
import io.twinstream.embedder.registry.RegistryLocations;
import io.twinstream.embedder.store.StoreOptions;
import io.twinstream.embedder.store.StoreSinkJob;
import io.twinstream.kafka.Topics;
import io.twinstream.lifecycle.LifecycleController;
import io.twinstream.lifecycle.flink.StoreLifecycle;
import io.twinstream.streamtrainer.LearningJob;
import io.twinstream.streamtrainer.TrainerOptions;
import io.twinstream.testkit.KafkaProcess;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code twinstream run}: the stream embedder job on a local Flink mini-cluster. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs the stream embedder job (sentences -> embeddings, bad records -> dead-letters) on a local",
      "Flink mini-cluster, against an embedded Kafka broker (--embedded) or an existing one (--bootstrap).",
      "Creates missing topics, prints bootstrap=HOST:PORT on a line of its own, and runs until Ctrl-C or",
      "SIGTERM, which stop the job and the embedded broker cleanly.",
      "Settings: --properties FILE, then --set KEY=VALUE, then the flags below (later wins); keys and",
      "defaults are in docs/streaming.md. With --set store.location=DIR|JDBC_URL (store.* options) the job also",
      "writes every embedding into a vector store, and with --registry backfills each promoted version",
      "and cuts the store over to it (store.auto-backfill). Exit code: 0 after a clean stop, 1 if the",
      "job failed, 64 = usage."
    })
final class RunCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  static final class Where {
    @Option(
        names = "--embedded",
        required = true,
        description = "Start a Kafka broker (KRaft) in a child JVM from the jar's own classes.")
    boolean embedded;

    @Option(
        names = "--bootstrap",
        required = true,
        paramLabel = "HOST:PORT",
        description = "Use the Kafka cluster at HOST:PORT.")
    String bootstrap;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Where where;

  @Option(
      names = "--kafka-port",
      defaultValue = "0",
      paramLabel = "PORT",
      description = "Client port of the embedded broker (default: a free port).")
  int kafkaPort;

  @Option(
      names = "--kafka-dir",
      paramLabel = "DIR",
      description = "Data directory of the embedded broker (default: STATE_DIR/kafka).")
  Path kafkaDir;

  @Option(
      names = "--state-dir",
      defaultValue = "twinstream-state",
      paramLabel = "DIR",
      description =
          "Checkpoints (retained when the job stops) and the embedded broker's data live here; started"
              + " again with the same directory, the job resumes from its latest completed checkpoint "
              + "(default: ${DEFAULT-VALUE}, in the working directory).")
  Path stateDir;

  @Option(
      names = "--fresh",
      description =
          "Start without the checkpoints in the state directory (they stay there; new ones are added).")
  boolean fresh;

  @Option(
      names = "--properties",
      paramLabel = "FILE",
      description = "Job settings as a properties file.")
  Path properties;

  @Option(
      names = "--kafka-config",
      paramLabel = "FILE",
      description =
          "Kafka client properties (security.protocol, sasl.*, ssl.*, config.providers...) for every"
              + " client of the job, without the kafka. prefix: the file produce, consume and model"
              + " take (default: the file $"
              + KafkaClientOptions.CONFIG_ENV
              + " names, if set).")
  Path kafkaConfig;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A job setting (repeatable).")
  Map<String, String> settings = new LinkedHashMap<>();

  @Option(
      names = "--model",
      paramLabel = "DIR|default|default-int8|registry",
      description = "Initial model bundle; 'registry' = the registry's CURRENT version (model).")
  String model;

  @Option(
      names = "--registry",
      paramLabel = "ROOT",
      description =
          "Model registry (a directory, or a URI such as s3://bucket/models): enables hot swap "
              + "through the model-updates topic (model.registry).")
  String registry;

  @Option(
      names = "--parallelism",
      paramLabel = "N",
      description = "Pipeline parallelism (parallelism).")
  Integer parallelism;

  @Option(names = "--batch-size", paramLabel = "N", description = "Micro-batch size (batch.size).")
  Integer batchSize;

  @Option(
      names = "--max-wait",
      paramLabel = "DURATION",
      description =
          "Longest wait of a micro-batch for more sentences while the encoder is free, e.g. 5ms"
              + " (batch.max-wait; default 0: embed at once).")
  String maxWait;

  @Option(
      names = "--checkpoint-interval",
      paramLabel = "DURATION",
      description = "Checkpoint interval, e.g. 2s (checkpoint.interval).")
  String checkpointInterval;

  @Option(
      names = "--delivery",
      paramLabel = "EXACTLY_ONCE|AT_LEAST_ONCE",
      description = "Delivery guarantee of the embeddings topic (delivery.guarantee).")
  JobOptions.Guarantee delivery;

  @Option(
      names = "--partitions",
      defaultValue = "2",
      paramLabel = "N",
      description = "Partitions of topics this command creates (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      description =
          "Expose Flink's metrics for Prometheus on http://localhost:PORT/metrics (default: off).")
  Integer metricsPort;

  private volatile JobClient job;
  private volatile KafkaProcess kafka;
  private volatile StoreLifecycle lifecycle;
  private boolean stopped;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Configuration conf;
    try {
      conf = configuration();
    } catch (IllegalArgumentException e) {
      err.println("twinstream run: " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    }
    String checkpointDir = conf.get(JobOptions.CHECKPOINT_DIR);
    Optional<Path> localCheckpoints = localPath(checkpointDir);
    StateDirectory state = new StateDirectory(stateDir, localCheckpoints.orElse(null));
    try {
      state.lock();
    } catch (IllegalStateException e) {
      err.println("twinstream run: " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    }
    if (checkpointDir.isBlank()) {
      conf.set(JobOptions.CHECKPOINT_DIR, state.checkpoints().toString());
    } else if (localCheckpoints.isEmpty()) {
      err.println(
          "twinstream run: checkpoints go to "
              + checkpointDir
              + "; to resume from one, pass it as --set "
              + StateRecoveryOptions.SAVEPOINT_PATH.key()
              + "=.../chk-N");
    }
    Thread hook = new Thread(() -> stop(err), "twinstream-run-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      if (where != null && where.embedded) {
        Path dir = kafkaDir != null ? kafkaDir : state.kafka();
        err.println("twinstream run: starting Kafka (KRaft) in " + dir + " ...");
        kafka = KafkaProcess.start(dir, kafkaPort, Duration.ofSeconds(90));
        conf.set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      }
      String bootstrap = conf.get(JobOptions.BOOTSTRAP_SERVERS);
      createTopics(conf, err);
      out.println("bootstrap=" + bootstrap);
      out.flush();

      boolean trainer = conf.get(TrainerOptions.ENABLED);
      int p = conf.get(JobOptions.PARALLELISM);
      Configuration cluster = new Configuration();
      // The trainer runs in a slot-sharing group of its own: one slot more than the embedding
      // pipeline's.
      cluster.set(TaskManagerOptions.NUM_TASK_SLOTS, p + (trainer ? 1 : 0));
      cluster.set(CoreOptions.TMP_DIRS, state.tmp().toString());
      if (metricsPort != null) {
        cluster.setString(
            "metrics.reporter.prom.factory.class",
            "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        cluster.setString("metrics.reporter.prom.port", Integer.toString(metricsPort));
      }
      StreamExecutionEnvironment env =
          StreamExecutionEnvironment.createLocalEnvironment(p, cluster);
      JobEnvironment.configure(env, conf);
      boolean resume = !fresh && (checkpointDir.isBlank() || localCheckpoints.isPresent());
      Optional<Path> checkpoint = resume ? state.latestCheckpoint() : Optional.empty();
      if (resume) {
        state.pruneCheckpointsExcept(checkpoint);
      }
      if (checkpoint.isPresent()) {
        Configuration restore = new Configuration();
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, checkpoint.get().toUri().toString());
        env.configure(restore);
        err.println("twinstream run: resuming from " + checkpoint.get());
      }
      LearningJob.build(env, conf, SentenceStreamHook.NONE, null);
      boolean store = conf.contains(StoreOptions.LOCATION);
      if (store) {
        StoreSinkJob.build(env, conf);
      }
      job = env.executeAsync(trainer ? LearningJob.JOB_NAME : EmbedderJob.JOB_NAME);
      if (store
          && conf.get(StoreOptions.AUTO_BACKFILL)
          && !conf.get(JobOptions.MODEL_REGISTRY).isBlank()) {
        lifecycle =
            StoreLifecycle.open(
                conf,
                Registries.open(conf.get(JobOptions.MODEL_REGISTRY)),
                conf.get(JobOptions.MODEL),
                Optional.empty(),
                "twinstream run: lifecycle",
                err,
                new LifecycleController.Listener() {});
        lifecycle.controller().start();
      }
      err.println(
          "twinstream run: job "
              + job.getJobID()
              + " running: "
              + conf.get(EmbedderOptions.SENTENCES_TOPIC)
              + " -> "
              + conf.get(EmbedderOptions.EMBEDDINGS_TOPIC)
              + " with model "
              + conf.get(JobOptions.MODEL)
              + ", parallelism "
              + p
              + (trainer ? ", trainer on" : "")
              + (store ? ", into the " + StoreOptions.spec(conf) + " store" : "")
              + (metricsPort != null
                  ? ", metrics on http://localhost:" + metricsPort + "/metrics"
                  : "")
              + ". Ctrl-C stops it.");
      try {
        job.getJobExecutionResult().get();
        err.println("twinstream run: job finished");
        return 0;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 0;
      } catch (ExecutionException e) {
        if (stopped) {
          return 0;
        }
        err.println("twinstream run: job failed: " + rootMessage(e));
        return 1;
      }
    } finally {
      stop(err);
      state.close();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the hook is running
      }
    }
  }

  private Configuration configuration() throws IOException {
    Configuration conf = new Configuration();
    KafkaClientOptions client = new KafkaClientOptions();
    client.config = kafkaConfig;
    client
        .fileSettings()
        .forEach(
            (k, v) -> {
              if (k.equals("bootstrap.servers")) {
                conf.set(JobOptions.BOOTSTRAP_SERVERS, v);
              } else {
                conf.setString(JobOptions.KAFKA_PREFIX + k, v);
              }
            });
    if (properties != null) {
      JobArguments.loadProperties(conf, properties);
    }
    settings.forEach(conf::setString);
    if (where != null && where.bootstrap != null) {
      conf.set(JobOptions.BOOTSTRAP_SERVERS, where.bootstrap);
    }
    if (where == null && !conf.containsKey(JobOptions.BOOTSTRAP_SERVERS.key())) {
      throw new IllegalArgumentException(
          "say where Kafka is: --embedded, --bootstrap HOST:PORT, or "
              + JobOptions.BOOTSTRAP_SERVERS.key()
              + " in --properties/--set");
    }
    if (model != null) {
      conf.set(JobOptions.MODEL, model);
    }
    if (registry != null) {
      conf.set(
          JobOptions.MODEL_REGISTRY,
          RegistryLocations.isLocal(registry)
              ? Registries.open(registry).root().toString()
              : registry);
    }
    if (parallelism != null) {
      conf.set(JobOptions.PARALLELISM, parallelism);
    }
    if (batchSize != null) {
      conf.set(EmbedderOptions.BATCH_SIZE, batchSize);
    }
    if (maxWait != null) {
      conf.setString(EmbedderOptions.BATCH_MAX_WAIT.key(), maxWait);
    }
    if (checkpointInterval != null) {
      conf.setString(JobOptions.CHECKPOINT_INTERVAL.key(), checkpointInterval);
    }
    if (delivery != null) {
      conf.set(JobOptions.DELIVERY_GUARANTEE, delivery);
    }
    if (conf.contains(StoreOptions.LOCATION)) {
      StoreOptions.spec(conf); // names a bad store.* option now, not from the job
      if (!conf.contains(EmbedderOptions.DUAL_WRITE)
          && !conf.get(JobOptions.MODEL_REGISTRY).isBlank()) {
        conf.set(EmbedderOptions.DUAL_WRITE, true); // a store and promotions: fill both versions
      }
    }
    EmbedderOptions.validate(conf);
    if (conf.get(TrainerOptions.ENABLED)) {
      TrainerOptions.validate(conf);
    }
    return conf;
  }

  private void createTopics(Configuration conf, PrintWriter err) {
    Map<String, Object> client = new LinkedHashMap<>();
    JobOptions.kafkaProperties(conf).forEach((k, v) -> client.put(k.toString(), v));
    client.put("bootstrap.servers", conf.get(JobOptions.BOOTSTRAP_SERVERS));
    Map<String, Integer> topics = new LinkedHashMap<>();
    topics.put(conf.get(EmbedderOptions.SENTENCES_TOPIC), partitions);
    topics.put(conf.get(EmbedderOptions.EMBEDDINGS_TOPIC), partitions);
    topics.put(conf.get(JobOptions.DEAD_LETTERS_TOPIC), 1);
    Map<String, Map<String, String>> configs = new LinkedHashMap<>();
    if (conf.contains(StoreOptions.LOCATION)) {
      // The documents a backfill reads: the latest text per id.
      configs.put(conf.get(EmbedderOptions.SENTENCES_TOPIC), Map.of("cleanup.policy", "compact"));
    }
    if (!conf.get(JobOptions.MODEL_REGISTRY).isBlank()) {
      topics.put(conf.get(JobOptions.MODEL_UPDATES_TOPIC), 1);
      configs.put(conf.get(JobOptions.MODEL_UPDATES_TOPIC), Topics.COMPACTED);
    }
    if (conf.get(TrainerOptions.ENABLED)) {
      topics.put(conf.get(TrainerOptions.FEEDBACK_TOPIC), 1);
    }
    try (Admin admin = Admin.create(client)) {
      Topics.create(admin, topics, configs, Duration.ofSeconds(60));
    } catch (KafkaException e) {
      err.println(
          "twinstream run: warning: " + e.getMessage() + " (continuing; the topics must exist)");
    }
  }

  /**
   * Cancels the job and stops the embedded broker; safe to call twice (shutdown hook and normal
   * exit).
   */
  private synchronized void stop(PrintWriter err) {
    if (stopped) {
      return;
    }
    stopped = true;
    StoreLifecycle l = lifecycle;
    if (l != null) {
      l.close();
    }
    JobClient j = job;
    if (j != null) {
      try {
        j.cancel().get(30, TimeUnit.SECONDS);
        err.println("twinstream run: job cancelled");
      } catch (Exception e) {
        // already finished or failed: nothing to cancel
      }
    }
    KafkaProcess k = kafka;
    if (k != null) {
      k.close();
      err.println("twinstream run: Kafka stopped");
    }
    err.flush();
  }

  /** The directory a checkpoint.dir names when it is on the local file system. */
  static Optional<Path> localPath(String location) {
    if (location.isBlank()) {
      return Optional.empty();
    }
    if (location.startsWith("file:")) {
      return Optional.of(Path.of(URI.create(location)));
    }
    return location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")
        ? Optional.empty()
        : Optional.of(Path.of(location));
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }
}
