package io.twinstream.schemas;

import io.twinstream.records.ModelUpdate;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Record keys on the compacted {@code model-updates} topic. An update that changes what a registry
 * serves (PROMOTED, ROLLED_BACK) is keyed by the registry's name, so compaction keeps the last
 * serving decision of each registry, which a job started later reads first. A REJECTED announcement
 * is keyed {@code NAME/VERSION}: compaction keeps one per candidate and never lets a rejection push
 * the last promotion out. A FULLY_SERVED announcement (a version's backfill is complete and the
 * vector store searches it) is keyed {@code NAME/served}: compaction keeps the last one, next to
 * the last serving decision, so a job started later knows both what to embed with and what the
 * store serves.
 */
public final class ModelUpdateKeys {

  private ModelUpdateKeys() {}

  /** The key of {@code update} in registry {@code registryName}'s updates. */
  public static String of(String registryName, ModelUpdate update) {
    return switch (update.getStatus()) {
      case REJECTED -> registryName + "/" + update.getVersion();
      case FULLY_SERVED -> servedKey(registryName);
      default -> registryName;
    };
  }

  /** The key of registry {@code registryName}'s FULLY_SERVED announcements. */
  public static String servedKey(String registryName) {
    return registryName + "/served";
  }

  /**
   * Whether {@code key} is that of an update an embedding job acts on: a serving change (PROMOTED,
   * ROLLED_BACK) or a FULLY_SERVED announcement of registry {@code registryName}.
   */
  public static boolean isEmbedderKey(byte[] key, String registryName) {
    return isServingKey(key, registryName)
        || (key != null
            && Arrays.equals(key, servedKey(registryName).getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Whether {@code key} is that of a serving change (PROMOTED, ROLLED_BACK) in registry {@code
   * registryName}.
   */
  public static boolean isServingKey(byte[] key, String registryName) {
    return key != null && Arrays.equals(key, registryName.getBytes(StandardCharsets.UTF_8));
  }

  /** Whether {@code key} is that of any update of registry {@code registryName}. */
  public static boolean belongsTo(byte[] key, String registryName) {
    return key != null && belongsTo(new String(key, StandardCharsets.UTF_8), registryName);
  }

  /** Whether {@code key} is that of any update of registry {@code registryName}. */
  public static boolean belongsTo(String key, String registryName) {
    return key.equals(registryName) || key.startsWith(registryName + "/");
  }
}
