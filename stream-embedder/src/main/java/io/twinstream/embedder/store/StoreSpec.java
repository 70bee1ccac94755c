package io.twinstream.embedder.store;

import io.twinstream.store.PgVectorStore;
import io.twinstream.store.SharedLuceneStores;
import io.twinstream.store.VectorStore;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * Which store a job writes to, in a form that travels with the job graph; {@link #open()} connects
 * on the task manager.
 *
 * @param kind {@code lucene} (embedded, a directory on the task manager's disk) or {@code pgvector}
 * @param location the Lucene directory, or the JDBC URL
 * @param table the pgvector table (ignored for Lucene)
 * @param dimensions vector dimensions
 * @param user database user (pgvector; may be empty)
 * @param password database password (pgvector; empty = {@value #PASSWORD_ENV} where the store is
 *     opened, if set)
 */
public record StoreSpec(
    String kind, String location, String table, int dimensions, String user, String password)
    implements Serializable {

  /**
   * The environment variable a task manager reads the database password from when {@code
   * store.password} is empty: a secret that stays out of the job's arguments (which Flink's web UI
   * shows).
   */
  public static final String PASSWORD_ENV = "TWINSTREAM_STORE_PASSWORD";

  public StoreSpec {
    kind = kind.toLowerCase(Locale.ROOT);
    if (!kind.equals("lucene") && !kind.equals("pgvector")) {
      throw new IllegalArgumentException(
          "store.kind must be lucene or pgvector, got '" + kind + "'");
    }
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException(
          "store.location is required: a directory for lucene, a jdbc:postgresql:// URL for"
              + " pgvector");
    }
    if (kind.equals("pgvector") && !location.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "store.location for pgvector must be a jdbc:postgresql:// URL, got '" + location + "'");
    }
  }

  /** The embedded store in {@code directory}. */
  public static StoreSpec lucene(Path directory, int dimensions) {
    return new StoreSpec("lucene", directory.toString(), "", dimensions, "", "");
  }

  /** A pgvector table. */
  public static StoreSpec pgvector(
      String jdbcUrl, String table, int dimensions, String user, String password) {
    return new StoreSpec("pgvector", jdbcUrl, table, dimensions, user, password);
  }

  /**
   * Opens the store: a connection of its own for pgvector; for Lucene a handle on the process's one
   * store of that directory ({@link SharedLuceneStores}), so that a sink, a backfill and searches
   * in one JVM share its writer.
   */
  public VectorStore open() {
    if (kind.equals("lucene")) {
      return SharedLuceneStores.open(Path.of(location), dimensions);
    }
    Properties p = new Properties();
    if (!user.isEmpty()) {
      p.setProperty("user", user);
    }
    String pw = password.isEmpty() ? System.getenv().getOrDefault(PASSWORD_ENV, "") : password;
    if (!pw.isEmpty()) {
      p.setProperty("password", pw);
    }
    return PgVectorStore.open(location, p, table, dimensions);
  }

  @Override
  public String toString() {
    return kind + " " + location + (kind.equals("pgvector") ? " table " + table : "");
  }
}
