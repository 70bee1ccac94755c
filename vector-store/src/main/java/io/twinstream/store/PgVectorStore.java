package io.twinstream.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pgvector.PGvector;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * PostgreSQL + pgvector through JDBC: one table keyed by (model_version, id) with a {@code
 * vector(d)} column, an HNSW index (cosine) per version as a partial index, idempotent batched
 * upserts that never let a lower {@code source_seq} overwrite a higher one, and the serving version
 * in a one-row table next to it, switched by one committed update.
 *
 * <pre>
 * CREATE TABLE embeddings (id text, model_version text, embedding vector(384), attributes jsonb,
 *                          source_seq bigint, written_at timestamptz, PRIMARY KEY (model_version, id));
 * CREATE INDEX embeddings_v_… ON embeddings USING hnsw (embedding vector_cosine_ops)
 *   WHERE model_version = 'ft-0003';
 * CREATE TABLE embeddings_serving (only_row boolean PRIMARY KEY, model_version text, since timestamptz);
 * CREATE TABLE embeddings_deleted (id text PRIMARY KEY, source_seq bigint, deleted_at timestamptz);
 * </pre>
 *
 * <p>A tombstone ({@link #delete(List)}) deletes a document's rows and leaves its sequence in the
 * {@code _deleted} table, which an upsert checks. An upsert locks that table in SHARE mode and a
 * deletion writes it (ROW EXCLUSIVE), so the two never interleave: a deletion waits for the upserts
 * in progress and deletes what they wrote; an upsert after it sees its tombstone.
 *
 * <p>One connection, used by one call at a time; a broken connection is replaced on the next call,
 * so a caller that retries rides out a database restart.
 */
public final class PgVectorStore implements VectorStore {

  private static final Pattern TABLE = Pattern.compile("[a-z_][a-z0-9_]{0,40}");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String url;
  private final Properties properties;
  private final String table;
  private final int dimensions;
  private final Set<String> indexed = new HashSet<>();
  private Connection connection;

  private PgVectorStore(String url, Properties properties, String table, int dimensions) {
    this.url = url;
    this.properties = properties;
    this.table = table;
    this.dimensions = dimensions;
  }

  /**
   * Connects and creates the extension, the table and the serving table if they are missing.
   *
   * @param url a {@code jdbc:postgresql://...} URL
   * @param properties driver properties ({@code user}, {@code password}, ...); {@code
   *     connectTimeout} defaults to 10 s and {@code socketTimeout} to 300 s
   * @param table table name: lower-case letters, digits and {@code _}, at most 41
   * @throws IllegalArgumentException when the table exists with other dimensions
   * @throws VectorStoreException when the database cannot be reached or refuses
   */
  public static PgVectorStore open(
      String url, Properties properties, String table, int dimensions) {
    if (!TABLE.matcher(table).matches()) {
      throw new IllegalArgumentException(
          "table name '" + table + "': lower-case letters, digits and '_', at most 41");
    }
    if (dimensions < 1 || dimensions > 16_000) {
      throw new IllegalArgumentException("dimensions must be in [1, 16000], got " + dimensions);
    }
    Properties driver = new Properties();
    driver.putAll(properties);
    // Fail instead of hanging when the database is unreachable or stops answering.
    driver.putIfAbsent("connectTimeout", "10");
    driver.putIfAbsent("socketTimeout", "300");
    PgVectorStore store = new PgVectorStore(url, driver, table, dimensions);
    try {
      store.createSchema();
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    return store;
  }

  private synchronized void createSchema() {
    run(
        "create the schema",
        c -> {
          try (Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS vector");
            s.execute(
                "CREATE TABLE IF NOT EXISTS "
                    + table
                    + " (id text NOT NULL, model_version text NOT NULL, embedding vector("
                    + dimensions
                    + ") NOT NULL, attributes jsonb NOT NULL DEFAULT '{}'::jsonb,"
                    + " source_seq bigint NOT NULL, written_at timestamptz NOT NULL DEFAULT now(),"
                    + " PRIMARY KEY (model_version, id))");
            s.execute(
                "CREATE TABLE IF NOT EXISTS "
                    + table
                    + "_serving (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),"
                    + " model_version text NOT NULL, since timestamptz NOT NULL DEFAULT now())");
            s.execute(
                "CREATE TABLE IF NOT EXISTS "
                    + table
                    + "_deleted (id text PRIMARY KEY, source_seq bigint NOT NULL,"
                    + " deleted_at timestamptz NOT NULL DEFAULT now())");
            try (ResultSet rs =
                s.executeQuery(
                    "SELECT atttypmod FROM pg_attribute WHERE attrelid = '"
                        + table
                        + "'::regclass AND attname = 'embedding'")) {
              if (rs.next() && rs.getInt(1) != dimensions) {
                throw new IllegalArgumentException(
                    "table "
                        + table
                        + " holds vectors of "
                        + rs.getInt(1)
                        + " dimensions, this store was opened for "
                        + dimensions);
              }
            }
          }
          c.commit();
          return null;
        });
    // The driver looked the vector type up when this connection opened, perhaps before the
    // extension existed, and remembers it as unknown: start afresh.
    dropConnection();
  }

  @Override
  public int dimensions() {
    return dimensions;
  }

  @Override
  public synchronized int upsert(List<VectorRow> rows) {
    for (VectorRow row : rows) {
      checkDimensions(row.vector(), "row " + row.id() + " @ " + row.version());
    }
    if (rows.isEmpty()) {
      return 0;
    }
    return run(
        "upsert " + rows.size() + " rows",
        c -> {
          for (VectorRow row : rows) {
            if (!indexed.contains(row.version())) {
              createIndex(c, row.version());
            }
          }
          int written = 0;
          try (Statement s = c.createStatement()) {
            // No deletion between this upsert's check of the tombstones and its commit.
            s.execute("LOCK TABLE " + table + "_deleted IN SHARE MODE");
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO "
                      + table
                      + " AS r (id, model_version, embedding, attributes, source_seq)"
                      + " SELECT ?, ?, ?, ?::jsonb, ? WHERE NOT EXISTS (SELECT 1 FROM "
                      + table
                      + "_deleted d WHERE d.id = ? AND d.source_seq >= ?)"
                      + " ON CONFLICT (model_version, id) DO UPDATE"
                      + " SET embedding = EXCLUDED.embedding, attributes = EXCLUDED.attributes,"
                      + " source_seq = EXCLUDED.source_seq, written_at = now()"
                      + " WHERE r.source_seq <= EXCLUDED.source_seq")) {
            for (VectorRow row : rows) {
              ps.setString(1, row.id());
              ps.setString(2, row.version());
              ps.setObject(3, new PGvector(row.vector()));
              ps.setString(4, json(row.attributes()));
              ps.setLong(5, row.sequence());
              ps.setString(6, row.id());
              ps.setLong(7, row.sequence());
              ps.addBatch();
            }
            for (int n : ps.executeBatch()) {
              if (n > 0 || n == Statement.SUCCESS_NO_INFO) {
                written++;
              }
            }
          }
          c.commit();
          return written;
        });
  }

  /** The HNSW index of one version: a partial index, so a search of that version uses it. */
  private void createIndex(Connection c, String version) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE INDEX IF NOT EXISTS "
              + indexName(version)
              + " ON "
              + table
              + " USING hnsw (embedding vector_cosine_ops) WHERE model_version = '"
              + ModelVersions.check(version)
              + "'");
    }
    c.commit();
    indexed.add(version);
  }

  private String indexName(String version) {
    return table + "_v_" + Integer.toHexString(version.hashCode()) + "_" + version.length();
  }

  @Override
  public synchronized Optional<VectorRow> get(String id, String version) {
    return run(
        "read " + id + " @ " + version,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT embedding, attributes::text, source_seq FROM "
                      + table
                      + " WHERE model_version = ? AND id = ?")) {
            ps.setString(1, version);
            ps.setString(2, id);
            try (ResultSet rs = ps.executeQuery()) {
              Optional<VectorRow> row = Optional.empty();
              if (rs.next()) {
                row =
                    Optional.of(
                        new VectorRow(
                            id,
                            version,
                            ((PGvector) rs.getObject(1)).toArray(),
                            attributes(rs.getString(2)),
                            rs.getLong(3)));
              }
              c.commit();
              return row;
            }
          }
        });
  }

  @Override
  public synchronized long delete(String id) {
    return run(
        "delete " + id,
        c -> {
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE id = ?");
              PreparedStatement tombstone =
                  c.prepareStatement("DELETE FROM " + table + "_deleted WHERE id = ?")) {
            ps.setString(1, id);
            long n = ps.executeUpdate();
            tombstone.setString(1, id);
            tombstone.executeUpdate();
            c.commit();
            return n;
          }
        });
  }

  @Override
  public synchronized long delete(List<Deletion> deletions) {
    if (deletions.isEmpty()) {
      return 0;
    }
    return run(
        "delete " + deletions.size() + " documents",
        c -> {
          // The tombstones first: their lock waits for the upserts in progress, whose rows the
          // delete below then sees.
          try (PreparedStatement tombstones =
              c.prepareStatement(
                  "INSERT INTO "
                      + table
                      + "_deleted AS d (id, source_seq) VALUES (?, ?) ON CONFLICT (id) DO UPDATE"
                      + " SET source_seq = EXCLUDED.source_seq, deleted_at = now()"
                      + " WHERE d.source_seq < EXCLUDED.source_seq")) {
            for (Deletion d : deletions) {
              tombstones.setString(1, d.id());
              tombstones.setLong(2, d.sequence());
              tombstones.addBatch();
            }
            tombstones.executeBatch();
          }
          long n = 0;
          try (PreparedStatement rows =
              c.prepareStatement("DELETE FROM " + table + " WHERE id = ? AND source_seq <= ?")) {
            for (Deletion d : deletions) {
              rows.setString(1, d.id());
              rows.setLong(2, d.sequence());
              rows.addBatch();
            }
            for (int deleted : rows.executeBatch()) {
              n += Math.max(deleted, 0);
            }
          }
          c.commit();
          return n;
        });
  }

  @Override
  public synchronized List<Hit> search(
      String version, float[] query, int k, Map<String, String> filter) {
    ModelVersions.check(version);
    checkDimensions(query, "the query");
    VectorRow.checkVector(query, "the query");
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    return run("search " + version, c -> searchIn(c, version, query, k, filter));
  }

  private List<Hit> searchIn(Connection c, String version, float[] query, int k)
      throws SQLException {
    return searchIn(c, version, query, k, Map.of());
  }

  private List<Hit> searchIn(
      Connection c, String version, float[] query, int k, Map<String, String> filter)
      throws SQLException {
    try (Statement s = c.createStatement()) {
      // The candidate list must hold at least k; pgvector's default is 40.
      s.execute("SET LOCAL hnsw.ef_search = " + Math.max(40, 2 * k));
      if (!filter.isEmpty()) {
        // A filter applies to the index's candidates: scan on until k rows match (pgvector 0.8).
        s.execute("SET LOCAL hnsw.iterative_scan = strict_order");
      }
    }
    // The version is a literal so that the planner picks that version's partial index.
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id, 1 - (embedding <=> ?) FROM "
                + table
                + " WHERE model_version = '"
                + version
                + "'"
                + (filter.isEmpty() ? "" : " AND attributes @> ?::jsonb")
                + " ORDER BY embedding <=> ? LIMIT ?")) {
      PGvector q = new PGvector(query);
      int at = 1;
      ps.setObject(at++, q);
      if (!filter.isEmpty()) {
        try {
          ps.setString(at++, JSON.writeValueAsString(filter));
        } catch (JsonProcessingException e) {
          throw new IllegalArgumentException("filter: " + e.getMessage(), e);
        }
      }
      ps.setObject(at++, q);
      ps.setInt(at, k);
      List<Hit> hits = new ArrayList<>(k);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          hits.add(new Hit(rs.getString(1), rs.getDouble(2)));
        }
      }
      c.commit();
      return hits;
    }
  }

  @Override
  public synchronized ServedHits searchServing(float[] query, int k) {
    checkDimensions(query, "the query");
    VectorRow.checkVector(query, "the query");
    return run(
        "search the serving version",
        c -> {
          String version = serving(c);
          if (version == null) {
            c.commit();
            throw new IllegalStateException("table " + table + ": no version serves yet");
          }
          // Rows of a version that served are dropped only after a grace period, so the version
          // read here is complete for the whole search even if a cut-over commits meanwhile.
          return new ServedHits(version, searchIn(c, version, query, k));
        });
  }

  @Override
  public synchronized Optional<String> servingVersion() {
    return run(
        "read the serving version",
        c -> {
          String v = serving(c);
          c.commit();
          return Optional.ofNullable(v);
        });
  }

  private String serving(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT model_version FROM " + table + "_serving")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  @Override
  public synchronized void cutOver(String version) {
    ModelVersions.check(version);
    if (count(version) == 0) {
      throw new IllegalArgumentException(
          "table " + table + ": cannot cut over to " + version + ": it has no rows");
    }
    run(
        "cut over to " + version,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO "
                      + table
                      + "_serving (only_row, model_version, since) VALUES (true, ?, now())"
                      + " ON CONFLICT (only_row) DO UPDATE SET model_version ="
                      + " EXCLUDED.model_version, since = now()")) {
            ps.setString(1, version);
            ps.executeUpdate();
          }
          c.commit();
          return null;
        });
  }

  @Override
  public synchronized long count(String version) {
    return run(
        "count " + version,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT count(*) FROM " + table + " WHERE model_version = ?")) {
            ps.setString(1, version);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              long n = rs.getLong(1);
              c.commit();
              return n;
            }
          }
        });
  }

  @Override
  public synchronized Map<String, Long> versions() {
    return run(
        "list versions",
        c -> {
          Map<String, Long> out = new TreeMap<>();
          try (Statement s = c.createStatement();
              ResultSet rs =
                  s.executeQuery(
                      "SELECT model_version, count(*) FROM " + table + " GROUP BY model_version")) {
            while (rs.next()) {
              out.put(rs.getString(1), rs.getLong(2));
            }
          }
          c.commit();
          return out;
        });
  }

  @Override
  public synchronized long dropVersion(String version) {
    ModelVersions.check(version);
    if (servingVersion().filter(version::equals).isPresent()) {
      throw new IllegalArgumentException(
          "table " + table + ": " + version + " is serving; cut over first");
    }
    return run(
        "drop " + version,
        c -> {
          long n;
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM " + table + " WHERE model_version = ?")) {
            ps.setString(1, version);
            n = ps.executeUpdate();
          }
          try (Statement s = c.createStatement()) {
            s.execute("DROP INDEX IF EXISTS " + indexName(version));
          }
          c.commit();
          indexed.remove(version);
          return n;
        });
  }

  private void checkDimensions(float[] vector, String what) {
    VectorRow.checkDimensions(vector, dimensions, what);
  }

  private interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} on the connection, opening it if needed; rolls back and explains failures.
   */
  private <T> T run(String what, Work<T> work) {
    try {
      Connection c = connection();
      try {
        return work.apply(c);
      } catch (SQLException | RuntimeException e) {
        rollback(c);
        throw e;
      }
    } catch (SQLException e) {
      // Connection trouble (class 08, or no state: an I/O error) and a database starting up or
      // shutting down (57P) may pass; refused credentials (28), a schema that does not fit (42) or
      // bad data (22) will not.
      String state = e.getSQLState();
      boolean retriable = state == null || state.startsWith("08") || state.startsWith("57P");
      if (state == null || state.startsWith("08")) {
        dropConnection(); // broken: the next call connects again
      }
      throw new VectorStoreException(
          "pgvector store "
              + table
              + " at "
              + url
              + ": "
              + what
              + " failed: "
              + e.getMessage()
              + (state == null ? "" : " (SQLState " + state + ")"),
          e,
          retriable);
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) {
      Connection c = DriverManager.getConnection(url, properties);
      c.setAutoCommit(false);
      PGvector.registerTypes(c);
      connection = c;
    }
    return connection;
  }

  private static void rollback(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection is gone; the error that brought us here says why
    }
  }

  private void dropConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // closing a broken connection
      }
      connection = null;
    }
  }

  private static String json(Map<String, String> attributes) {
    try {
      return JSON.writeValueAsString(attributes);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("attributes cannot be written as JSON", e);
    }
  }

  private static Map<String, String> attributes(String json) {
    try {
      return JSON.readValue(json, new TypeReference<>() {});
    } catch (JsonProcessingException e) {
      throw new VectorStoreException("attributes are not a JSON object of strings: " + json, e);
    }
  }

  @Override
  public synchronized void close() {
    dropConnection();
  }
}
