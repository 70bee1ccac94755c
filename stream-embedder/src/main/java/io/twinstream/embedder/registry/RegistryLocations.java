package io.twinstream.embedder.registry;

import io.twinstream.encoder.registry.ModelRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens a model registry from the location a user gives: a plain path or {@code file:} URI opens a
 * {@link io.twinstream.encoder.LocalRegistryStore} (atomic renames), any other URI ({@code
 * s3://bucket/models}, {@code hdfs://…}) a {@link FlinkRegistryStore} on Flink's file system for
 * that scheme.
 */
public final class RegistryLocations {

  private RegistryLocations() {}

  /** Opens the registry at {@code location}. */
  public static ModelRegistry open(String location) throws IOException {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException("No model registry location given");
    }
    URI uri = schemeUri(location);
    if (uri == null) {
      return ModelRegistry.open(Path.of(location));
    }
    if (uri.getScheme().toLowerCase(Locale.ROOT).equals("file")) {
      return ModelRegistry.open(Path.of(uri));
    }
    return ModelRegistry.open(new FlinkRegistryStore(uri));
  }

  /** Whether {@code location} is on a local file system (a path or a {@code file:} URI). */
  public static boolean isLocal(String location) {
    URI uri = schemeUri(location);
    return uri == null || uri.getScheme().equalsIgnoreCase("file");
  }

  private static URI schemeUri(String location) {
    try {
      URI uri = new URI(location);
      return uri.getScheme() != null && uri.getScheme().length() > 1
          ? uri
          : null; // "C:" is a drive
    } catch (URISyntaxException e) {
      return null;
    }
  }
}
