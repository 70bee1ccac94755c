package io.twinstream.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL with pgvector for tests, without Docker: PGlite (PostgreSQL compiled to
 * WebAssembly) with its pgvector extension, served over the PostgreSQL wire protocol by {@code
 * pglite-server} in a child {@code node} process, reached with the ordinary JDBC driver. The npm
 * packages are pinned in {@code vector-store/pglite/package-lock.json} and installed by the build
 * ({@code npm ci} in {@code generate-test-resources}).
 */
public final class PgliteServer implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final Process process;
  private final int port;
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());

  private PgliteServer(Path packages, String database, int port) throws IOException {
    this.port = port;
    Path server = packages.resolve("node_modules/.bin/pglite-server");
    if (!Files.exists(server)) {
      throw new IllegalStateException(
          "PGlite is not installed in "
              + packages
              + ": run 'npm ci' there (the Maven build does it in generate-test-resources unless"
              + " -DskipPglite=true)");
    }
    this.process =
        new ProcessBuilder(
                "node",
                server.toString(),
                "-d",
                database,
                "-p",
                Integer.toString(port),
                "-e",
                "@electric-sql/pglite-pgvector:vector",
                // Connections at once (queries still run one at a time): a test's own, a
                // controller's, serve's and every parallel sink's of a cluster's backfill.
                "-m",
                "16")
            .directory(packages.toFile())
            .redirectErrorStream(true)
            .start();
    CountDownLatch listening = new CountDownLatch(1);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                  log.add(line);
                  if (line.contains("listening")) {
                    listening.countDown();
                  }
                }
              } catch (IOException e) {
                log.add("(log reader: " + e + ")");
              }
            },
            "pglite-log-" + port);
    reader.setDaemon(true);
    reader.start();
    try {
      if (!listening.await(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(
            "PGlite did not listen on port " + port + " within " + START_TIMEOUT + ": " + log);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting PGlite", e);
    }
  }

  /** Starts an in-memory database on a free port. */
  public static PgliteServer start() {
    return start("memory://", freePort());
  }

  /** Starts a database kept in {@code dataDir} (survives a restart) on {@code port}. */
  public static PgliteServer start(Path dataDir, int port) {
    return start(dataDir.toAbsolutePath().toString(), port);
  }

  private static PgliteServer start(String database, int port) {
    try {
      return new PgliteServer(packages(), database, port);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node for PGlite (is node installed?)", e);
    }
  }

  /** Where the npm packages are: {@code -Dtwinstream.pgliteDir}, else found from here upwards. */
  static Path packages() {
    String configured = System.getProperty("twinstream.pgliteDir");
    if (configured != null) {
      return Path.of(configured);
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("vector-store/pglite");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
      if (dir.getFileName() != null
          && dir.getFileName().toString().equals("vector-store")
          && Files.isDirectory(dir.resolve("pglite"))) {
        return dir.resolve("pglite");
      }
    }
    throw new IllegalStateException("cannot find vector-store/pglite; set -Dtwinstream.pgliteDir");
  }

  /** A free TCP port on this machine. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  /** The JDBC URL of its {@code postgres} database. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?sslmode=disable";
  }

  /**
   * Driver properties: PGlite takes any user without a password. Its connections share one
   * PostgreSQL session underneath, so named server-side prepared statements of two connections (or
   * of one closed before) collide ("prepared statement S_1 already exists"): prepareThreshold=0
   * keeps the driver to unnamed ones.
   */
  public Properties properties() {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", "postgres");
    p.setProperty("prepareThreshold", "0");
    return p;
  }

  /** What the server printed so far. */
  public List<String> log() {
    return List.copyOf(log);
  }

  /** Stops the server (the database is lost unless it was started on a data directory). */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
