package io.twinstream.reliability;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * {@code twinstream run} in a process of its own, as a user starts it: its output (stdout and
 * stderr, every log line) appended to one log file, the process killed with SIGKILL or stopped with
 * SIGTERM like any other.
 */
final class JobProcess implements AutoCloseable {

  /** The line {@code run} prints once the job has been submitted. */
  static final Predicate<String> RUNNING =
      line -> line.startsWith("twinstream run: job ") && line.contains(" running: ");

  private final Process process;
  private final Path log;
  private final List<Watch> watches = new ArrayList<>();
  private final Thread pump;

  private record Watch(Predicate<String> line, CompletableFuture<String> seen) {}

  private JobProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
    this.pump = new Thread(this::pump, "job-process-output");
    pump.setDaemon(true);
  }

  /**
   * Starts {@code java -jar CLI_JAR ARGS...} with {@code env} added to this process's environment.
   */
  static JobProcess start(Path cliJar, List<String> args, Map<String, String> env, Path log)
      throws IOException {
    return start(cliJar, List.of(), args, env, log);
  }

  /** As above, with JVM options {@code jvm} (e.g. {@code -Dtwinstream.logLevel=INFO}). */
  static JobProcess start(
      Path cliJar, List<String> jvm, List<String> args, Map<String, String> env, Path log)
      throws IOException {
    if (!Files.isRegularFile(cliJar)) {
      throw new IOException(cliJar + " is missing: build it first (mvn -B -q -DskipTests package)");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-Dlog4j.shutdownHookEnabled=false");
    command.addAll(jvm);
    command.add("-jar");
    command.add(cliJar.toString());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Files.createDirectories(log.toAbsolutePath().getParent());
    try (PrintWriter w =
        new PrintWriter(
            Files.newBufferedWriter(
                log,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND))) {
      w.println("### " + String.join(" ", args));
    }
    JobProcess job = new JobProcess(builder.start(), log);
    job.pump.start();
    return job;
  }

  private void pump() {
    try (BufferedReader in =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter out =
            new PrintWriter(
                Files.newBufferedWriter(
                    log,
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND),
                true)) {
      String line;
      while ((line = in.readLine()) != null) {
        out.println(line);
        synchronized (watches) {
          for (Watch w : watches) {
            if (!w.seen().isDone() && w.line().test(line)) {
              w.seen().complete(line);
            }
          }
        }
      }
    } catch (IOException e) {
      // the process is gone
    }
    synchronized (watches) {
      for (Watch w : watches) {
        w.seen().completeExceptionally(new IOException("the process ended"));
      }
    }
  }

  /** A future of the first line from now on that {@code line} accepts. */
  CompletableFuture<String> watch(Predicate<String> line) {
    CompletableFuture<String> seen = new CompletableFuture<>();
    synchronized (watches) {
      watches.add(new Watch(line, seen));
    }
    return seen;
  }

  /**
   * Waits for a line {@code line} accepts among those printed after {@code seen} was made.
   *
   * @throws IOException when the process ends first or the line does not come in time, with the end
   *     of the log
   */
  String await(CompletableFuture<String> seen, Duration timeout, String what) throws IOException {
    try {
      return seen.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException(
          "twinstream run did not report "
              + what
              + " within "
              + timeout
              + "; log "
              + log
              + ":\n"
              + tail(40),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** The last {@code lines} lines of the log. */
  String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  boolean alive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** Waits for the process to end by itself; its exit code. */
  int awaitExit(Duration timeout) throws IOException, InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new IOException("still running after " + timeout + ":\n" + tail(30));
    }
    joinPump();
    return process.exitValue();
  }

  /** SIGKILL: the process ends at once, nothing of it runs any more. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
    joinPump();
  }

  /** SIGTERM, and the exit code once it has stopped (cancelling the job, stopping its broker). */
  int stop(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
    joinPump();
    return process.exitValue();
  }

  private void joinPump() throws InterruptedException {
    pump.join(10_000);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      stop(Duration.ofSeconds(60));
    }
  }
}
