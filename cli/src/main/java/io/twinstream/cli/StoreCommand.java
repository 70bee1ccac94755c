package io.twinstream.cli;

import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.lifecycle.flink.ModelSource;
import io.twinstream.lifecycle.kafka.RegistryAnnouncer;
import io.twinstream.store.VectorStore;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code twinstream store}: what a vector store holds, cut-over (rollback) and dropping versions.
 */
@Command(
    name = "store",
    mixinStandardHelpOptions = true,
    description = "Look at a vector store, cut it over to a version it holds, drop a version.",
    subcommands = {StoreCommand.Status.class, StoreCommand.CutOver.class, StoreCommand.Drop.class})
final class StoreCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
  }

  /** {@code twinstream store status}. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Print the serving version and the rows of every version held.")
  static final class Status implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin StoreArguments store;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try (VectorStore s = store.spec().open()) {
        String serving = s.servingVersion().orElse("");
        out.println("serving=" + (serving.isEmpty() ? "(none)" : serving));
        for (Map.Entry<String, Long> v : s.versions().entrySet()) {
          out.println(
              v.getKey() + "\t" + v.getValue() + (v.getKey().equals(serving) ? "\tserving" : ""));
        }
        return 0;
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("twinstream store status: " + e.getMessage());
        return TwinstreamCli.EXIT_USAGE;
      } catch (RuntimeException e) {
        spec.commandLine().getErr().println("twinstream store status: " + e.getMessage());
        return 1;
      }
    }
  }

  /** {@code twinstream store cut-over --version V}: e.g. a rollback to a version still kept. */
  @Command(
      name = "cut-over",
      description = {
        "Switch the store's searches to a version it holds, atomically (a rollback cuts back to a",
        "version still kept). With --registry, FULLY_SERVED is announced for it on the model-updates",
        "topic, so that embedding jobs stop dual writing another version."
      })
  static final class CutOver implements Callable<Integer> {
    @Mixin HelpOption help;

    @Spec CommandSpec spec;

    @Mixin StoreArguments store;

    @Option(names = "--version", required = true, paramLabel = "VERSION")
    String version;

    @Option(
        names = "--registry",
        paramLabel = "ROOT",
        description = "Announce FULLY_SERVED through this registry's updates (default: do not).")
    String registry;

    @Mixin UpdatesTopic updates;

    @Mixin KafkaClientOptions kafka;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try (VectorStore s = store.spec().open()) {
        String before = s.servingVersion().orElse("(none)");
        s.cutOver(version);
        out.println("cut over: searches use " + version + " (was " + before + ")");
      } catch (IllegalArgumentException e) {
        err.println("twinstream store cut-over: " + e.getMessage());
        return TwinstreamCli.EXIT_USAGE;
      } catch (RuntimeException e) {
        err.println("twinstream store cut-over: " + e.getMessage());
        return 1;
      }
      if (registry != null) {
        ModelRegistry reg = Registries.open(registry);
        new RegistryAnnouncer(
                reg,
                updates.registryName,
                kafka.clientConfig(),
                updates.topic,
                new ModelSource(reg, null)::bundle,
                "cut over from the CLI")
            .announce(new ModelSource(reg, version).bundle(version), java.util.Map.of());
        out.println("announced FULLY_SERVED " + version + " on " + updates.topic);
      }
      return 0;
    }
  }

  /** {@code twinstream store drop --version V}. */
  @Command(name = "drop", description = "Delete every row of a version that does not serve.")
  static final class Drop implements Callable<Integer> {
    @Mixin HelpOption help;

    @Spec CommandSpec spec;

    @Mixin StoreArguments store;

    @Option(names = "--version", required = true, paramLabel = "VERSION")
    String version;

    @Override
    public Integer call() {
      try (VectorStore s = store.spec().open()) {
        spec.commandLine()
            .getOut()
            .println("dropped " + version + ": " + s.dropVersion(version) + " rows");
        return 0;
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("twinstream store drop: " + e.getMessage());
        return TwinstreamCli.EXIT_USAGE;
      } catch (RuntimeException e) {
        spec.commandLine().getErr().println("twinstream store drop: " + e.getMessage());
        return 1;
      }
    }
  }
}
