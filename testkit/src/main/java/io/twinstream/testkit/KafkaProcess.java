package io.twinstream.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Kafka broker in a child JVM ({@link EmbeddedKafkaMain}) on this process's classpath, so that
 * its heap and threads stay apart from Flink's. Its log goes to {@code DIR/kafka.log}. {@link
 * #close()} stops it with SIGTERM, which shuts the broker down cleanly.
 */
public final class KafkaProcess implements AutoCloseable {

  private final Process process;
  private final String bootstrap;
  private final Path log;

  private KafkaProcess(Process process, String bootstrap, Path log) {
    this.process = process;
    this.bootstrap = bootstrap;
    this.log = log;
  }

  /**
   * Starts the broker and waits until it reports ready.
   *
   * @param dir data directory (created; reused when it holds a formatted broker)
   * @param port client port, 0 for a free one
   * @throws IOException when the broker does not start in time, with the end of its log
   */
  public static KafkaProcess start(Path dir, int port, Duration timeout) throws IOException {
    Files.createDirectories(dir);
    Path log = dir.resolve("kafka.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx512m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                EmbeddedKafkaMain.class.getName(),
                dir.toAbsolutePath().toString(),
                Integer.toString(port),
                EmbeddedKafkaMain.EXIT_WITH_PARENT));
    Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
    CompletableFuture<String> ready =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                BufferedReader out =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = out.readLine()) != null) {
                  if (line.startsWith("bootstrap=")) {
                    return line.substring("bootstrap=".length());
                  }
                }
                return null;
              } catch (IOException e) {
                return null;
              }
            });
    String bootstrap;
    try {
      bootstrap = ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      bootstrap = null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IOException("interrupted while starting Kafka", e);
    }
    if (bootstrap == null) {
      process.destroyForcibly();
      throw new IOException(
          "Kafka did not start within " + timeout + "; end of " + log + ":\n" + tail(log, 20));
    }
    return new KafkaProcess(process, bootstrap, log);
  }

  /** {@code host:port} of the broker. */
  public String bootstrapServers() {
    return bootstrap;
  }

  /** The broker's log file. */
  public Path log() {
    return log;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The broker's port (for starting it again on the same one). */
  public int port() {
    return Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
  }

  /** Kills the broker at once (SIGKILL), as a crash would; its data stays for a restart. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
