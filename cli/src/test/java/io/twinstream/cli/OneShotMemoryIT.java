package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A one-shot command in a small container: {@code twinstream model publish} of the 90 MB default
 * model fits a 384 MiB heap (the compose file's model-init runs under a memory limit), and a heap
 * too small for it ends in a message that names the command, the heap and the fix, with exit code 3
 * and nothing published — never a bare stack trace.
 */
class OneShotMemoryIT {

  @TempDir Path dir;

  private record Run(int exit, String output) {}

  private Run publish(String maxHeap, Path registry) throws Exception {
    Path jar = Path.of(System.getProperty("twinstream.cliJar", "target/twinstream.jar"));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + maxHeap);
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    command.addAll(
        List.of(
            "model", "publish", "default", "--registry", registry.toString(), "--version", "v2"));
    Path log = dir.resolve("publish-" + maxHeap + ".log");
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
            .start();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("model publish -Xmx" + maxHeap + " ran over 2 minutes");
    }
    return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  @Test
  void publishingTheDefaultModelFitsA384MiBHeap() throws Exception {
    Path registry = dir.resolve("registry");
    Run run = publish("384m", registry);
    assertEquals(0, run.exit(), run.output());
    assertTrue(Files.exists(registry.resolve("v2").resolve("manifest.json")), run.output());
  }

  @Test
  void aHeapTooSmallEndsInAMessageWithTheFixAndPublishesNothing() throws Exception {
    Path registry = dir.resolve("registry");
    Run run = publish("96m", registry);
    assertEquals(TwinstreamCli.EXIT_OUT_OF_MEMORY, run.exit(), run.output());
    assertTrue(
        run.output().contains("twinstream model publish default: out of memory"), run.output());
    assertTrue(run.output().contains("with a Java heap of at most "), run.output());
    assertTrue(run.output().contains("TWINSTREAM_JAVA_OPTS=-Xmx"), run.output());
    assertFalse(run.output().contains("\tat io.twinstream"), "no stack trace: " + run.output());
    assertFalse(Files.exists(registry.resolve("v2")), "nothing published");
  }
}
