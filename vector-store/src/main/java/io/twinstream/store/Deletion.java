package io.twinstream.store;

import java.util.Objects;

/**
 * The deletion of one document from a store, under every version: a tombstone on {@code sentences}
 * as a store applies it.
 *
 * @param id the document id
 * @param sequence when the document was deleted, on the scale of {@link VectorRow#sequence} (the
 *     tombstone's Kafka timestamp in milliseconds): rows of the document with a sequence up to this
 *     one go, and the store remembers it, so that a late or replayed upsert of an older text never
 *     brings the document back, while a newer one (the document written again) is stored
 */
public record Deletion(String id, long sequence) {

  public Deletion {
    Objects.requireNonNull(id, "id");
    if (id.isEmpty()) {
      throw new IllegalArgumentException("a deletion needs a non-empty id");
    }
  }
}
