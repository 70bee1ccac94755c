package io.twinstream.embedder.store;

import io.twinstream.store.Deletion;
import io.twinstream.store.VectorRow;
import java.util.Objects;

/**
 * One change a store sink applies: a row to upsert or a document to delete, exactly one of the two.
 * A Flink POJO (a record of two nullable fields) so that it crosses a network edge without Kryo.
 *
 * @param row the row to upsert, or null
 * @param deletion the document to delete under every version, or null
 */
public record StoreChange(VectorRow row, Deletion deletion) {

  public StoreChange {
    if ((row == null) == (deletion == null)) {
      throw new IllegalArgumentException("a store change is a row or a deletion, exactly one");
    }
  }

  /** The upsert of {@code row}. */
  public static StoreChange upsert(VectorRow row) {
    return new StoreChange(Objects.requireNonNull(row, "row"), null);
  }

  /** The deletion {@code deletion}. */
  public static StoreChange delete(Deletion deletion) {
    return new StoreChange(null, Objects.requireNonNull(deletion, "deletion"));
  }
}
