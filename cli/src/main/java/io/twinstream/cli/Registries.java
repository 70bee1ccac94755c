package io.twinstream.cli;

import io.twinstream.embedder.registry.RegistryLocations;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;

/**
 * Registries and bundles named on the command line. A registry outside the local file system
 * ({@code s3://bucket/models}, {@code hdfs://…}) goes through Flink's file systems, configured the
 * way a Flink client is: {@code $FLINK_CONF_DIR/config.yaml} (for {@code s3.endpoint},
 * credentials…) and the plugins in {@code $FLINK_PLUGINS_DIR} (default {@code ./plugins}).
 */
final class Registries {

  private static boolean fileSystemsReady;

  private Registries() {}

  /** Opens the registry at {@code location} (a directory or a URI). */
  static ModelRegistry open(String location) throws IOException {
    if (!RegistryLocations.isLocal(location)) {
      initializeFileSystems();
    }
    return RegistryLocations.open(location);
  }

  /**
   * The bundle {@code name} names: a built-in name, a bundle directory (a registry's {@code
   * ROOT/VERSION} among them), or the URI of a version in a remote registry ({@code
   * s3://bucket/models/v3}).
   */
  static ModelBundle resolve(String name) throws InvalidBundleException, IOException {
    if (RegistryLocations.isLocal(name)) {
      return ModelBundle.resolve(
          name.startsWith("file:") ? Path.of(URI.create(name)).toString() : name);
    }
    String trimmed = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    int slash = trimmed.lastIndexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("Model URI " + name + " does not name ROOT/VERSION");
    }
    return open(trimmed.substring(0, slash)).load(trimmed.substring(slash + 1));
  }

  /** Makes Flink's file systems (and their plugins) available to this client process, once. */
  static synchronized void initializeFileSystems() {
    if (fileSystemsReady) {
      return;
    }
    String confDir = System.getenv("FLINK_CONF_DIR");
    Configuration conf =
        confDir == null ? new Configuration() : GlobalConfiguration.loadConfiguration(confDir);
    FileSystem.initialize(conf, PluginUtils.createPluginManagerFromRootFolder(conf));
    fileSystemsReady = true;
  }
}
