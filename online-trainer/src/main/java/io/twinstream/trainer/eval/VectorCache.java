package io.twinstream.trainer.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One model version's vectors by text, so that a text is embedded by that version once: the serving
 * version's vectors of an evaluation set, kept from round to round while it serves, and a
 * candidate's, which become the serving version's when it is promoted. At most {@code capacity}
 * vectors are kept (the least recently used go first); a vector of the default model takes 1.5 KB.
 * Not thread-safe: one round uses it at a time.
 */
public final class VectorCache {

  private final String version;
  private final int capacity;
  private final LinkedHashMap<String, float[]> vectors;
  private long hits;
  private long misses;

  /**
   * @param version the model version whose vectors these are
   * @param capacity the most vectors kept; 0 keeps none (every text is embedded every time)
   */
  public VectorCache(String version, int capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must be >= 0, got " + capacity);
    }
    this.version = version;
    this.capacity = capacity;
    this.vectors =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
            return size() > VectorCache.this.capacity;
          }
        };
  }

  /**
   * A copy of these vectors under another version's name, holding at most {@code capacity}: for a
   * version that embeds as this one does (an adapter on the same model).
   */
  public VectorCache renamed(String otherVersion, int otherCapacity) {
    VectorCache copy = new VectorCache(otherVersion, otherCapacity);
    if (otherCapacity > 0) {
      vectors.forEach((text, v) -> copy.vectors.put(text, v.clone()));
    }
    return copy;
  }

  /** The model version whose vectors these are. */
  public String version() {
    return version;
  }

  /** The most vectors kept. */
  public int capacity() {
    return capacity;
  }

  /** Vectors kept now. */
  public int size() {
    return vectors.size();
  }

  /** Texts found here since the cache was made. */
  public long hits() {
    return hits;
  }

  /** Texts that had to be embedded since the cache was made. */
  public long misses() {
    return misses;
  }

  /**
   * {@code embedder} behind this cache: texts already here are not embedded again, the others are
   * (in one call per slice, in order) and kept.
   */
  public Embedder over(Embedder embedder) {
    return texts -> {
      float[][] out = new float[texts.size()][];
      List<String> missing = new ArrayList<>();
      List<Integer> at = new ArrayList<>();
      for (int i = 0; i < texts.size(); i++) {
        float[] v = vectors.get(texts.get(i));
        if (v != null) {
          out[i] = v.clone();
          hits++;
        } else {
          missing.add(texts.get(i));
          at.add(i);
        }
      }
      if (!missing.isEmpty()) {
        float[][] embedded = embedder.embed(missing);
        for (int j = 0; j < embedded.length; j++) {
          out[at.get(j)] = embedded[j];
          if (capacity > 0) {
            vectors.put(missing.get(j), embedded[j].clone());
          }
        }
        misses += missing.size();
      }
      return out;
    };
  }
}
