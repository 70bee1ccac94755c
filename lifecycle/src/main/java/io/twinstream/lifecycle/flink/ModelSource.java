package io.twinstream.lifecycle.flink;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import java.io.IOException;

/**
 * Where a version's model comes from, for a backfill and an announcement: the registry's bundle of
 * that version, else the job's first model when it is that version, else a built-in bundle of that
 * name.
 *
 * @param registry the registry (may be null: built-in models only)
 * @param first the job's first model as its option names it ({@code default}, a bundle name or
 *     directory, or {@code registry}); may be null
 */
public record ModelSource(ModelRegistry registry, String first) {

  /** The model option a backfill job of {@code version} embeds with. */
  public String model(String version) throws IOException {
    if (inRegistry(version)) {
      return registry.uri(version).toString();
    }
    if (first != null && !first.equals("registry") && firstVersion().equals(version)) {
      return first;
    }
    return version;
  }

  /** The bundle of {@code version}. */
  public ModelBundle bundle(String version) throws IOException {
    try {
      if (inRegistry(version)) {
        return registry.load(version);
      }
      return ModelBundle.resolve(model(version));
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(
          "cannot load the model of version " + version + ": " + e.getMessage(), e);
    }
  }

  /** The version of the job's first model, or null when there is none. */
  public String firstVersion() throws IOException {
    if (first == null) {
      return null;
    }
    try {
      if (first.equals("registry")) {
        return registry == null ? null : registry.current().orElse(null);
      }
      return ModelBundle.resolve(first).version();
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("cannot load the first model " + first + ": " + e.getMessage(), e);
    }
  }

  private boolean inRegistry(String version) throws IOException {
    return registry != null && registry.list().stream().anyMatch(m -> m.version().equals(version));
  }
}
