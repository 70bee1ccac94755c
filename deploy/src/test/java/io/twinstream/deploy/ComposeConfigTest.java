package io.twinstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docker compose config}: Compose's own reading of {@code docker-compose.yml} (variables
 * resolved, every key checked), with the compose tool that is installed — the Docker CLI's plugin
 * ({@code docker compose}) or the stand-alone {@code docker-compose} (CI installs Debian's); it
 * needs no Docker engine. Skipped where neither exists.
 */
class ComposeConfigTest {

  /** The compose command available here, if any. */
  private static Optional<List<String>> compose() {
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

  private static Result config(Path composeFile) throws Exception {
    List<String> tool = compose().orElseThrow();
    List<String> command = new ArrayList<>(tool);
    command.addAll(
        List.of(
            "-f",
            composeFile.toString(),
            "--project-directory",
            DeployFiles.root().toString(),
            "config"));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("TWINSTREAM_STORE_PASSWORD", "from-the-environment");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "compose config did not finish");
    return new Result(p.exitValue(), out);
  }

  private record Result(int exit, String output) {}

  @Test
  void composeAcceptsTheFileAndTakesTheSecretFromTheEnvironment() throws Exception {
    Assumptions.assumeTrue(compose().isPresent(), "no docker compose / docker-compose here");
    Result r = config(DeployFiles.root().resolve("docker-compose.yml"));
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("from-the-environment"), "the password comes from the variable");
    assertTrue(!r.output().contains("TWINSTREAM_STORE_PASSWORD:-"), r.output());
  }

  @Test
  void composeRejectsAMisspelledKey(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(compose().isPresent(), "no docker compose / docker-compose here");
    Path broken = dir.resolve("docker-compose.yml");
    Files.writeString(
        broken,
        Files.readString(DeployFiles.root().resolve("docker-compose.yml"))
            .replace(
                "    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready",
                "    helthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready"));
    assertTrue(Files.readString(broken).contains("helthcheck"), "the key was misspelled");
    Result r = config(broken);
    assertTrue(r.exit() != 0, "compose took a misspelled key:\n" + r.output());
  }
}
