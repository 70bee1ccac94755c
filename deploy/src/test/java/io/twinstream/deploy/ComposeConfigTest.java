package io.twinstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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

  private static Compose.Result config(Path composeFile) throws Exception {
    return Compose.run(
        composeFile,
        Map.of("TWINSTREAM_STORE_PASSWORD", "from-the-environment"),
        Duration.ofSeconds(60),
        List.of("config"));
  }

  @Test
  void composeAcceptsTheFileAndTakesTheSecretFromTheEnvironment() throws Exception {
    Assumptions.assumeTrue(Compose.tool().isPresent(), "no docker compose / docker-compose here");
    Compose.Result r = config(DeployFiles.root().resolve("docker-compose.yml"));
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("from-the-environment"), "the password comes from the variable");
    assertTrue(!r.output().contains("TWINSTREAM_STORE_PASSWORD:-"), r.output());
  }

  @Test
  void composeRejectsAMisspelledKey(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(Compose.tool().isPresent(), "no docker compose / docker-compose here");
    Path broken = dir.resolve("docker-compose.yml");
    Files.writeString(
        broken,
        Files.readString(DeployFiles.root().resolve("docker-compose.yml"))
            .replace(
                "    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready",
                "    helthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready"));
    assertTrue(Files.readString(broken).contains("helthcheck"), "the key was misspelled");
    Compose.Result r = config(broken);
    assertTrue(r.exit() != 0, "compose took a misspelled key:\n" + r.output());
  }
}
