package io.twinstream.store;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The kinds of {@link VectorStore} a deployment can name ({@code store.kind}). */
public enum StoreKind {
  /** {@link LuceneVectorStore}: embedded, a directory on the writer's disk; one writer. */
  LUCENE,
  /** {@link PgVectorStore}: a PostgreSQL table with pgvector; any number of writers. */
  PGVECTOR;

  /** The name options and files use: {@code lucene}, {@code pgvector}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The kind named {@code name} (any case).
   *
   * @throws IllegalArgumentException naming the value and the kinds there are
   */
  public static StoreKind of(String name) {
    for (StoreKind k : values()) {
      if (k.id().equalsIgnoreCase(name == null ? "" : name.trim())) {
        return k;
      }
    }
    throw new IllegalArgumentException(
        "store.kind must be "
            + Arrays.stream(values()).map(StoreKind::id).collect(Collectors.joining(" or "))
            + ", got '"
            + name
            + "'");
  }

  /** Whether only one writer may write to a store of this kind at a time. */
  public boolean singleWriter() {
    return this == LUCENE;
  }

  @Override
  public String toString() {
    return id();
  }
}
