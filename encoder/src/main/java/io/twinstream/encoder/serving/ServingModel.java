package io.twinstream.encoder.serving;

import java.util.Objects;

/**
 * Which model an embedding instance serves, as kept in checkpointed state: the version, where its
 * bundle is, the manifest's SHA-256 (empty for built-in bundles) and the time of the update that
 * chose it. A Flink POJO.
 */
public final class ServingModel {

  public String version;
  public String location;
  public String sha256;
  public long updatedAt;

  public ServingModel() {}

  public ServingModel(String version, String location, String sha256, long updatedAt) {
    this.version = version;
    this.location = location;
    this.sha256 = sha256 == null ? "" : sha256;
    this.updatedAt = updatedAt;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServingModel m
        && updatedAt == m.updatedAt
        && Objects.equals(version, m.version)
        && Objects.equals(location, m.location)
        && Objects.equals(sha256, m.sha256);
  }

  @Override
  public int hashCode() {
    return Objects.hash(version, location, sha256, updatedAt);
  }

  @Override
  public String toString() {
    return version + " (" + location + ", updated " + updatedAt + ")";
  }
}
