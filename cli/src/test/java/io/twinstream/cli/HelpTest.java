package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command and subcommand answers {@code --help} with its usage and exit code 0, whatever it
 * requires.
 */
class HelpTest {

  private static void walk(CommandLine command, List<List<String>> paths, List<String> path) {
    paths.add(path);
    for (CommandLine sub : command.getSubcommands().values()) {
      if (sub.getCommandSpec().usageMessage().hidden() || sub.getCommandName().equals("help")) {
        continue;
      }
      List<String> next = new ArrayList<>(path);
      next.add(sub.getCommandName());
      walk(sub, paths, next);
    }
  }

  @Test
  void everyCommandAnswersHelp() {
    List<List<String>> paths = new ArrayList<>();
    walk(TwinstreamCli.commandLine(), paths, List.of());
    assertTrue(paths.size() >= 14, "the walk found the commands: " + paths);
    for (List<String> path : paths) {
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      CliRun run = CliRun.of(args.toArray(String[]::new));
      String name = String.join(" ", path);
      assertEquals(0, run.exitCode(), "twinstream " + name + " --help: " + run.err());
      assertTrue(
          run.out().contains("Usage: twinstream" + (name.isEmpty() ? "" : " " + name)),
          "twinstream " + name + " --help printed: " + run.out());
      assertTrue(run.err().isEmpty(), "twinstream " + name + " --help complained: " + run.err());
    }
  }
}
