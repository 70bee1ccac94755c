package io.twinstream.schemas;

/**
 * The keys of the version lifecycle's journal topic ({@code model-lifecycle}): {@code
 * REGISTRY/VERSION} for a version's {@link io.twinstream.records.VersionLifecycle} records (the
 * topic is compacted: a key's last record is the version's state), and {@code _owner/REGISTRY} for
 * the empty markers by which a controller confirms it still owns the journal.
 */
public final class LifecycleKeys {

  private LifecycleKeys() {}

  /** The key of the records of {@code version} of registry {@code registryName}. */
  public static String version(String registryName, String version) {
    return registryName + "/" + version;
  }

  /** The key of the owner markers of registry {@code registryName}'s journal. */
  public static String owner(String registryName) {
    return "_owner/" + registryName;
  }

  /** Whether {@code key} is that of a version of registry {@code registryName}. */
  public static boolean isVersionOf(String key, String registryName) {
    return key.startsWith(registryName + "/");
  }
}
