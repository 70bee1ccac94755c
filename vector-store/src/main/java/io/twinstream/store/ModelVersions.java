package io.twinstream.store;

import java.util.regex.Pattern;

/**
 * Model version names as stores accept them: what the registry publishes ({@code ft-0003}, {@code
 * all-MiniLM-L6-v2}). Kept to letters, digits, {@code .}, {@code _} and {@code -} (at most 128),
 * because stores put them where SQL parameters cannot go (a partial index's predicate).
 */
public final class ModelVersions {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private ModelVersions() {}

  /**
   * @return {@code version}
   * @throws IllegalArgumentException naming the version and what is allowed
   */
  public static String check(String version) {
    if (version == null || !NAME.matcher(version).matches()) {
      throw new IllegalArgumentException(
          "model version '"
              + version
              + "' is not a name a store accepts: letters, digits, '.', '_' and '-', at most 128,"
              + " starting with a letter or digit");
    }
    return version;
  }
}
