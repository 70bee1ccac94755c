package io.twinstream.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The compose tool installed here — the Docker CLI's plugin ({@code docker compose}) or the
 * stand-alone {@code docker-compose} (CI installs Debian's 1.29) — run on a compose file from the
 * repository root.
 */
final class Compose {

  /** What a compose command printed (stdout and stderr together) and its exit code. */
  record Result(int exit, String output) {}

  private Compose() {}

  /** The compose command available here, if any. */
  static Optional<List<String>> tool() {
    for (List<String> candidate :
        List.of(List.of("docker", "compose"), List.of("docker-compose"))) {
      try {
        List<String> version = new ArrayList<>(candidate);
        version.add("version");
        Process p = new ProcessBuilder(version).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return Optional.of(candidate);
        }
      } catch (IOException | InterruptedException e) {
        // not this one
      }
    }
    return Optional.empty();
  }

  /**
   * Runs {@code compose -f FILE --project-directory ROOT ARGS} with {@code environment} added,
   * waiting at most {@code timeout}.
   */
  static Result run(
      Path composeFile, Map<String, String> environment, Duration timeout, List<String> args)
      throws IOException, InterruptedException {
    return run(List.of(composeFile), environment, timeout, args);
  }

  /**
   * Runs {@code compose -f FILE1 -f FILE2 ... --project-directory ROOT ARGS} (later files override
   * earlier ones) with {@code environment} added, waiting at most {@code timeout}.
   */
  static Result run(
      List<Path> composeFiles, Map<String, String> environment, Duration timeout, List<String> args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(tool().orElseThrow());
    for (Path file : composeFiles) {
      command.addAll(List.of("-f", file.toString()));
    }
    command.addAll(List.of("--project-directory", DeployFiles.root().toString()));
    command.addAll(args);
    return exec(command, environment, timeout);
  }

  /** Runs {@code docker ARGS}, waiting at most {@code timeout}. */
  static Result docker(Duration timeout, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("docker"));
    command.addAll(List.of(args));
    return exec(command, Map.of(), timeout);
  }

  private static Result exec(
      List<String> command, Map<String, String> environment, Duration timeout)
      throws IOException, InterruptedException {
    // Output to a file, so that the timeout holds even when the command hangs with its pipe open.
    Path log = Files.createTempFile("compose-", ".log");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().putAll(environment);
      Process p = pb.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(
            String.join(" ", command)
                + " did not finish within "
                + timeout
                + ": "
                + Files.readString(log, StandardCharsets.UTF_8));
      }
      return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
