package io.twinstream.cli;

import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.records.ModelUpdate;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The model registry subcommands of {@code twinstream model}. */
final class RegistryCommands {

  private RegistryCommands() {}

  /** Where the registry is. */
  static final class RegistryOption {
    @Option(
        names = "--registry",
        required = true,
        paramLabel = "ROOT",
        description =
            "Model registry: a directory, or a URI such as s3://bucket/models (through Flink's file "
                + "systems: FLINK_CONF_DIR, FLINK_PLUGINS_DIR).")
    String root;
  }

  /** Where model updates go. */
  static final class UpdatesOptions {
    @Option(
        names = "--topic",
        defaultValue = "model-updates",
        description =
            "Model-updates topic, created compacted if missing (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(
        names = "--registry-name",
        defaultValue = "default",
        description = "Registry name: the key of its updates (default: ${DEFAULT-VALUE}).")
    String name;

    @picocli.CommandLine.Mixin KafkaClientOptions kafka;

    @Option(names = "--reason", defaultValue = "", description = "Why, for the record.")
    String reason;

    KafkaModelUpdates updates(ModelRegistry registry) {
      return new KafkaModelUpdates(registry, name, kafka.clientConfig(), topic).ensureTopic();
    }
  }

  private static void printUpdate(PrintWriter out, ModelUpdate u) {
    out.printf(
        "%s %s (%s) announced on the model-updates topic at %s%n",
        u.getStatus(), u.getVersion(), u.getUri(), u.getCreatedAt());
  }

  /** {@code twinstream model publish DIR --registry ROOT}. */
  @Command(
      name = "publish",
      description =
          "Publish a bundle (directory or built-in name) into the registry, atomically and verified; "
              + "with --promote also make it serve.")
  static final class Publish implements Callable<Integer> {
    @picocli.CommandLine.Mixin HelpOption help;

    @Spec CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "DIR|default|default-int8",
        description = "The bundle to publish.")
    String bundle;

    @picocli.CommandLine.Mixin RegistryOption registry;

    @Option(
        names = "--version",
        paramLabel = "VERSION",
        description = "Publish under this version (default: the " + "bundle's own).")
    String version;

    @Option(
        names = "--promote",
        description = "Also promote it (needs --bootstrap or --kafka-config).")
    boolean promote;

    @picocli.CommandLine.Mixin KafkaClientOptions kafka;

    @Option(
        names = "--registry-name",
        defaultValue = "default",
        description = "Registry name (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(
        names = "--topic",
        defaultValue = "model-updates",
        description = "Model-updates topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (promote && !kafka.given()) {
        err.println("twinstream model publish: --promote needs --bootstrap or --kafka-config");
        return TwinstreamCli.EXIT_USAGE;
      }
      try {
        ModelRegistry reg = Registries.open(registry.root);
        ModelBundle source = Registries.resolve(bundle);
        if (version != null) {
          source =
              source.withVersion(
                  version,
                  source.version().equals(version)
                      ? source.manifest().parentVersion()
                      : source.version());
        }
        ModelBundle published = reg.publish(source);
        out.printf("published %s at %s%n", published.version(), reg.uri(published.version()));
        if (promote) {
          KafkaModelUpdates updates =
              new KafkaModelUpdates(reg, name, kafka.clientConfig(), topic).ensureTopic();
          printUpdate(
              out, updates.promote(published.version(), "published and promoted from the CLI"));
        }
        return 0;
      } catch (InvalidBundleException
          | FileAlreadyExistsException
          | IllegalArgumentException
          | KafkaException e) {
        err.println("twinstream model publish: " + e.getMessage());
        return 1;
      }
    }
  }

  /** {@code twinstream model list --registry ROOT}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the published versions.")
  static final class ListVersions implements Callable<Integer> {
    @Spec CommandSpec spec;

    @picocli.CommandLine.Mixin RegistryOption registry;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      ModelRegistry reg = Registries.open(registry.root);
      Optional<String> current = reg.current();
      List<BundleManifest> versions = reg.list();
      if (versions.isEmpty()) {
        out.println("no versions in " + reg.root());
        return 0;
      }
      out.printf(
          "%-2s %-32s %-32s %-5s %-24s %s%n", "", "VERSION", "PARENT", "DIM", "CREATED", "METRICS");
      for (BundleManifest m : versions) {
        out.printf(
            "%-2s %-32s %-32s %-5d %-24s %s%n",
            current.map(m.version()::equals).orElse(false) ? "*" : "",
            m.version(),
            m.parentVersion() == null ? "-" : m.parentVersion(),
            m.dimension(),
            m.createdAt(),
            m.metrics().isEmpty() ? "" : m.metrics());
      }
      out.println("* = current");
      return 0;
    }
  }

  /** {@code twinstream model promote VERSION --registry ROOT --bootstrap ...}. */
  @Command(
      name = "promote",
      mixinStandardHelpOptions = true,
      description = "Make a published version serve: verify it, set it current, announce PROMOTED.")
  static final class Promote implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "VERSION")
    String version;

    @picocli.CommandLine.Mixin RegistryOption registry;

    @picocli.CommandLine.Mixin UpdatesOptions updates;

    @Override
    public Integer call() throws IOException {
      try {
        ModelRegistry reg = Registries.open(registry.root);
        printUpdate(
            spec.commandLine().getOut(),
            updates
                .updates(reg)
                .promote(
                    version, updates.reason.isEmpty() ? "promoted from the CLI" : updates.reason));
        return 0;
      } catch (InvalidBundleException | KafkaException e) {
        spec.commandLine().getErr().println("twinstream model promote: " + e.getMessage());
        return 1;
      }
    }
  }

  /** {@code twinstream model rollback --registry ROOT --bootstrap ... [--to VERSION]}. */
  @Command(
      name = "rollback",
      mixinStandardHelpOptions = true,
      description =
          "Serve the previous version again (or --to VERSION): set it current, announce ROLLED_BACK.")
  static final class Rollback implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--to",
        paramLabel = "VERSION",
        description =
            "Version to go back to (default: the one current " + "before the current one).")
    String to;

    @picocli.CommandLine.Mixin RegistryOption registry;

    @picocli.CommandLine.Mixin UpdatesOptions updates;

    @Override
    public Integer call() throws IOException {
      PrintWriter err = spec.commandLine().getErr();
      try {
        ModelRegistry reg = Registries.open(registry.root);
        String target = to != null ? to : reg.previous().orElse(null);
        if (target == null) {
          err.println(
              "twinstream model rollback: no earlier version in "
                  + reg.describe(ModelRegistry.HISTORY)
                  + "; name one with --to");
          return 1;
        }
        printUpdate(
            spec.commandLine().getOut(),
            updates
                .updates(reg)
                .rollback(
                    target,
                    updates.reason.isEmpty() ? "rolled back from the CLI" : updates.reason));
        return 0;
      } catch (InvalidBundleException | KafkaException e) {
        err.println("twinstream model rollback: " + e.getMessage());
        return 1;
      }
    }
  }
}
