package io.twinstream.schemas;

import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Record keys on the compacted {@code model-updates} topic. An update that changes what a registry
 * serves (PROMOTED, ROLLED_BACK) is keyed by the registry's name, so compaction keeps the last
 * serving decision of each registry, which a job started later reads first. A REJECTED announcement
 * is keyed {@code NAME/VERSION}: compaction keeps one per candidate and never lets a rejection push
 * the last promotion out.
 */
public final class ModelUpdateKeys {

  private ModelUpdateKeys() {}

  /** The key of {@code update} in registry {@code registryName}'s updates. */
  public static String of(String registryName, ModelUpdate update) {
    return update.getStatus() == ModelStatus.REJECTED
        ? registryName + "/" + update.getVersion()
        : registryName;
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
    if (key == null) {
      return false;
    }
    String k = new String(key, StandardCharsets.UTF_8);
    return k.equals(registryName) || k.startsWith(registryName + "/");
  }
}
