package io.twinstream.store;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * One document's vector under one model version, as a store keeps it.
 *
 * @param id the document id
 * @param version the model version that made the vector ({@link ModelVersions#check})
 * @param vector the embedding; stores compare by cosine
 * @param attributes what else the store keeps with it (text length, source topic, ...); may be
 *     empty
 * @param sequence where the vector came from, as a number that grows with the source (e.g. the
 *     Kafka offset of the sentence it was embedded from): a row never replaces one with a higher
 *     sequence, so a replay or a late, older write cannot undo a newer one
 */
public record VectorRow(
    String id, String version, float[] vector, Map<String, String> attributes, long sequence) {

  public VectorRow {
    Objects.requireNonNull(id, "id");
    if (id.isEmpty()) {
      throw new IllegalArgumentException("a row needs a non-empty id");
    }
    ModelVersions.check(version);
    Objects.requireNonNull(vector, "vector");
    if (vector.length == 0) {
      throw new IllegalArgumentException("row " + id + " has an empty vector");
    }
    checkVector(vector, "row " + id);
    attributes = Map.copyOf(attributes == null ? Map.of() : attributes);
  }

  /**
   * Checks that {@code vector} can be compared by cosine: finite components, not all zero.
   *
   * @throws IllegalArgumentException naming {@code what}
   */
  public static void checkVector(float[] vector, String what) {
    boolean direction = false;
    for (float x : vector) {
      if (!Float.isFinite(x)) {
        throw new IllegalArgumentException(what + " has a non-finite vector component");
      }
      direction |= x != 0;
    }
    if (!direction) {
      throw new IllegalArgumentException(
          what + " is a zero vector: it has no direction to compare by cosine");
    }
  }

  /**
   * Checks that {@code vector} has the {@code dimensions} a store takes.
   *
   * @throws IllegalArgumentException naming {@code what}
   */
  static void checkDimensions(float[] vector, int dimensions, String what) {
    if (vector.length != dimensions) {
      throw new IllegalArgumentException(
          what + " has " + vector.length + " dimensions, the store takes " + dimensions);
    }
  }

  /** A row without attributes. */
  public VectorRow(String id, String version, float[] vector, long sequence) {
    this(id, version, vector, Map.of(), sequence);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VectorRow r
        && id.equals(r.id)
        && version.equals(r.version)
        && Arrays.equals(vector, r.vector)
        && attributes.equals(r.attributes)
        && sequence == r.sequence;
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, version, Arrays.hashCode(vector), attributes, sequence);
  }

  @Override
  public String toString() {
    return "VectorRow["
        + id
        + " @ "
        + version
        + ", dim "
        + vector.length
        + ", seq "
        + sequence
        + "]";
  }
}
