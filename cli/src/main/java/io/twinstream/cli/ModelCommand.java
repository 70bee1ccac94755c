package io.twinstream.cli;

import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceTransformersImporter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code twinstream model}: import, inspect, publish, list, promote and roll back model bundles.
 */
@Command(
    name = "model",
    mixinStandardHelpOptions = true,
    description = "Import, inspect, publish, list, promote and roll back model bundles.",
    subcommands = {
      ModelCommand.Import.class,
      ModelCommand.Inspect.class,
      RegistryCommands.Publish.class,
      RegistryCommands.ListVersions.class,
      RegistryCommands.Promote.class,
      RegistryCommands.Rollback.class
    })
final class ModelCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
  }

  /** {@code twinstream model import SRC DEST}. */
  @Command(
      name = "import",
      description =
          "Turn a sentence-transformers ONNX export folder (onnx/model.onnx or model.onnx, "
              + "tokenizer.json, 1_Pooling/config.json, sentence_bert_config.json) into a verified bundle.")
  static final class Import implements Callable<Integer> {
    @picocli.CommandLine.Mixin HelpOption help;

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SRC", description = "The export folder.")
    Path source;

    @Parameters(
        index = "1",
        paramLabel = "DEST",
        description = "The bundle directory to create (must not hold a bundle).")
    Path destination;

    @Option(
        names = "--version",
        paramLabel = "VERSION",
        description = "Bundle version (default: the export folder's name).")
    String version;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      try {
        ModelBundle bundle =
            new SentenceTransformersImporter().importTo(source, destination, version);
        BundleManifest m = bundle.manifest();
        out.printf(
            Locale.ROOT,
            "imported %s into %s: %d dimensions, %s pooling, max %d tokens%s%n",
            m.version(),
            destination,
            m.dimension(),
            m.pooling().configName(),
            m.maxSequenceLength(),
            m.normalize() ? ", normalised" : "");
        return 0;
      } catch (InvalidBundleException e) {
        spec.commandLine().getErr().println("twinstream model import: " + e.getMessage());
        return 1;
      }
    }
  }

  /** {@code twinstream model inspect DIR}. */
  @Command(
      name = "inspect",
      mixinStandardHelpOptions = true,
      description = "Verify a bundle (every checksum) and describe it.")
  static final class Inspect implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR|default|default-int8", description = "The bundle.")
    String bundle;

    @Option(names = "--json", description = "Print the manifest as JSON.")
    boolean json;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      ModelBundle b;
      try {
        b = ModelBundle.resolve(bundle);
      } catch (InvalidBundleException e) {
        spec.commandLine().getErr().println("twinstream model inspect: " + e.getMessage());
        return 1;
      }
      BundleManifest m = b.manifest();
      if (json) {
        out.println(new String(m.toJson(), StandardCharsets.UTF_8));
        return 0;
      }
      out.printf("bundle      %s%n", b.location());
      out.printf("version     %s%n", m.version());
      out.printf("parent      %s%n", m.parentVersion() == null ? "-" : m.parentVersion());
      out.printf("dimension   %d%n", m.dimension());
      out.printf(
          "pooling     %s%s%n", m.pooling().configName(), m.normalize() ? ", L2-normalised" : "");
      out.printf("max tokens  %d%n", m.maxSequenceLength());
      out.printf("created     %s%n", m.createdAt());
      out.printf("source      %s%n", m.source());
      out.println("files       (all SHA-256 verified)");
      for (Map.Entry<String, String> f : m.files().entrySet()) {
        long size =
            f.getKey().equals(BundleManifest.MODEL_FILE)
                ? b.modelBuffer().remaining()
                : f.getKey().equals(BundleManifest.TOKENIZER_FILE)
                    ? b.tokenizerBuffer().remaining()
                    : sizeOf(b, f.getKey());
        out.printf(Locale.ROOT, "  %-16s %,14d bytes  %s%n", f.getKey(), size, f.getValue());
      }
      if (!m.training().isEmpty()) {
        out.printf("training    %s%n", m.training());
      }
      if (!m.metrics().isEmpty()) {
        out.printf("metrics     %s%n", m.metrics());
      }
      return 0;
    }

    private static long sizeOf(ModelBundle b, String file) {
      try {
        return Files.size(Path.of(b.location()).resolve(file));
      } catch (IOException | RuntimeException e) {
        return -1;
      }
    }
  }
}
