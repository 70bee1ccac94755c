package io.twinstream.cli;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.store.StoreOptions;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.lifecycle.LifecycleController;
import io.twinstream.lifecycle.flink.StoreLifecycle;
import io.twinstream.lifecycle.http.LifecycleMetrics;
import io.twinstream.lifecycle.http.LifecycleServer;
import io.twinstream.store.StoreKind;
import io.twinstream.store.StoreSpec;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code twinstream controller}: the version lifecycle as a long-running service. */
@Command(
    name = "controller",
    sortOptions = false,
    description = {
      "Owns the life of every model version in a shared vector store, so that the",
      "loop closes with nobody acting: it follows the registry's decisions on",
      "model-updates and, for each version the registry serves, backfills it (a",
      "bounded Flink job over the compacted documents topic, in this process or on",
      "the Flink session cluster of --backfill-cluster), checks that every live",
      "document has a vector of it, cuts the store over, announces FULLY_SERVED,",
      "and drops the replaced version after --grace; a rollback during a backfill",
      "abandons it. Each step is recorded on --lifecycle-topic: a restarted",
      "controller resumes a backfill and still drops what is due, and a second",
      "controller takes the journal over (this one then exits with 3). Serves",
      "/metrics (Prometheus) and /v1/lifecycle (each version's state, JSON) on",
      "--metrics-port. Run one per registry and store; the embedding job runs with",
      "store.auto-backfill=false. The store must be pgvector (an embedded store",
      "belongs to the job's own process: twinstream run runs this lifecycle in",
      "process).",
      "Exit code: 0 stopped, 1 failed to start, 3 another controller took the journal",
      "over, 64 usage."
    })
final class ControllerCommand implements Callable<Integer> {

  /** The exit code when another controller took the journal over. */
  static final int EXIT_TAKEN_OVER = 3;

  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Option(
      names = "--registry",
      required = true,
      paramLabel = "ROOT",
      description = "The model registry whose decisions it follows (a directory or a URI).")
  String registry;

  @Option(
      names = "--first-model",
      paramLabel = "MODEL",
      description =
          "The version to serve while the registry has decided nothing and the store serves"
              + " nothing: the embedding job's first model option (default: registry when the"
              + " registry has a CURRENT version, else default).")
  String firstModel;

  @Mixin UpdatesTopic updates;

  @Mixin StoreArguments store;

  @Mixin KafkaClientOptions kafka;

  @Mixin LifecycleArguments job;

  @Option(
      names = "--metrics-port",
      defaultValue = "9405",
      paramLabel = "PORT",
      description =
          "Port of /metrics and /v1/lifecycle; 0 = any free one (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Configuration conf;
    ModelRegistry reg;
    String first;
    try {
      StoreSpec target = store.spec();
      if (target.kind() == StoreKind.LUCENE) {
        throw new IllegalArgumentException(
            "--store lucene: an embedded store is written by the embedding job's own process, so"
                + " its lifecycle runs there (twinstream run, store.auto-backfill); a controller"
                + " needs a shared store: --store pgvector");
      }
      conf = job.configuration(target, kafka, updates);
      reg = Registries.open(registry);
      conf.set(JobOptions.MODEL_REGISTRY, registry);
      first = firstModel != null ? firstModel : reg.current().isPresent() ? "registry" : "default";
    } catch (IllegalArgumentException e) {
      err.println("twinstream controller: " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    }
    PrometheusRegistry metrics = new PrometheusRegistry();
    AtomicReference<Supplier<LifecycleController.Snapshot>> source = new AtomicReference<>();
    Supplier<LifecycleController.Snapshot> snapshot = () -> source.get().get();
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicReference<String> takenOver = new AtomicReference<>();
    LifecycleController.Listener whenTakenOver =
        new LifecycleController.Listener() {
          @Override
          public void takenOver(String why) {
            takenOver.set(why);
            stopped.countDown();
          }
        };
    StoreLifecycle lifecycle;
    try {
      lifecycle =
          StoreLifecycle.open(
              conf,
              reg,
              first,
              Optional.empty(),
              "twinstream controller",
              err,
              new LifecycleMetrics(metrics, snapshot).andThen(whenTakenOver));
    } catch (Exception e) {
      err.println("twinstream controller: cannot start: " + e.getMessage());
      return 1;
    }
    source.set(LifecycleMetrics.cached(lifecycle.controller()));
    LifecycleServer server;
    try {
      server = LifecycleServer.start(metricsPort, metrics, snapshot);
    } catch (java.io.IOException e) {
      lifecycle.close();
      err.println("twinstream controller: --metrics-port " + metricsPort + ": " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    }
    Thread hook =
        new Thread(
            () -> {
              lifecycle.close();
              server.close();
              stopped.countDown();
            },
            "twinstream-controller-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    lifecycle.controller().start();
    out.println("url=http://localhost:" + server.port());
    out.flush();
    err.println(
        "twinstream controller: following "
            + updates.topic
            + " (registry "
            + updates.registryName
            + "), store "
            + conf.get(StoreOptions.KIND)
            + ", journal on "
            + job.lifecycleTopic
            + "; /metrics and /v1/lifecycle on port "
            + server.port()
            + ". Ctrl-C stops it.");
    err.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      lifecycle.close();
      server.close();
    }
    if (takenOver.get() != null) {
      Runtime.getRuntime().removeShutdownHook(hook);
      lifecycle.close();
      server.close();
      return EXIT_TAKEN_OVER;
    }
    return 0;
  }
}
