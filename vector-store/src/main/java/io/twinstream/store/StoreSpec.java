package io.twinstream.store;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Which store to open, in a form that travels (a Flink job graph, a controller's settings); {@link
 * #open()} connects where it is called (a task manager, the controller).
 *
 * @param kind the embedded store (a directory on the writer's disk) or pgvector
 * @param location the Lucene directory, or the JDBC URL
 * @param table the pgvector table (ignored for Lucene)
 * @param dimensions vector dimensions
 * @param user database user (pgvector; may be empty)
 * @param password database password (pgvector; empty = {@value #PASSWORD_ENV} where the store is
 *     opened, if set)
 */
public record StoreSpec(
    StoreKind kind, String location, String table, int dimensions, String user, String password)
    implements Serializable {

  /**
   * The environment variable a task manager reads the database password from when {@code
   * store.password} is empty: a secret that stays out of the job's arguments (which Flink's web UI
   * shows).
   */
  public static final String PASSWORD_ENV = "TWINSTREAM_STORE_PASSWORD";

  public StoreSpec {
    if (kind == null) {
      throw new IllegalArgumentException("store.kind is required: lucene or pgvector");
    }
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException(
          "store.location is required: a directory for lucene, a jdbc:postgresql:// URL for"
              + " pgvector");
    }
    if (kind == StoreKind.PGVECTOR && !location.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "store.location for pgvector must be a jdbc:postgresql:// URL, got '" + location + "'");
    }
  }

  /**
   * A store named as options name it ({@code store.kind} as a string).
   *
   * @throws IllegalArgumentException naming the option that is wrong
   */
  public StoreSpec(
      String kind, String location, String table, int dimensions, String user, String password) {
    this(StoreKind.of(kind), location, table, dimensions, user, password);
  }

  /** The embedded store in {@code directory}. */
  public static StoreSpec lucene(Path directory, int dimensions) {
    return new StoreSpec(StoreKind.LUCENE, directory.toString(), "", dimensions, "", "");
  }

  /** A pgvector table. */
  public static StoreSpec pgvector(
      String jdbcUrl, String table, int dimensions, String user, String password) {
    return new StoreSpec(StoreKind.PGVECTOR, jdbcUrl, table, dimensions, user, password);
  }

  /**
   * Opens the store: a connection of its own for pgvector; for Lucene a handle on the process's one
   * store of that directory ({@link SharedLuceneStores}), so that a sink, a backfill and searches
   * in one JVM share its writer.
   */
  public VectorStore open() {
    if (kind == StoreKind.LUCENE) {
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
    return kind + " " + location + (kind == StoreKind.PGVECTOR ? " table " + table : "");
  }
}
