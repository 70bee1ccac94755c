package io.twinstream.reliability;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reliability suite from the command line, from the repository root after {@code mvn -B
 * -DskipTests package}:
 *
 * <pre>
 * java -jar reliability/target/reliability.jar crash --records 50000 --kills 5 --rate 400
 * java -jar reliability/target/reliability.jar embedded-kill --records 2000
 * java -jar reliability/target/reliability.jar broker-restart --records 20000 --rate 400
 * java -jar reliability/target/reliability.jar fuzz --records 10000
 * java -jar reliability/target/reliability.jar bad-models
 * java -jar reliability/target/reliability.jar registry-outage
 * java -jar reliability/target/reliability.jar all        # every case at full size
 * </pre>
 *
 * Each case prints its progress and ends with its row of docs/reliability.md; the exit code is 1
 * when a case lost or duplicated anything. Options: {@code --dir DIR} (working directory, default a
 * new temporary one), {@code --cli JAR} (default {@code cli/target/twinstream.jar}), {@code --seed
 * N}.
 */
public final class ReliabilitySuite {

  private ReliabilitySuite() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("--help")) {
      System.out.println(usage());
      return;
    }
    String command = args[0];
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        System.err.println("reliability: unexpected argument '" + args[i] + "'\n" + usage());
        System.exit(64);
      }
      options.put(args[i].substring(2), args[++i]);
    }
    Path dir =
        options.containsKey("dir")
            ? Path.of(options.get("dir"))
            : Files.createTempDirectory("twinstream-reliability-");
    Path cli = Path.of(options.getOrDefault("cli", "cli/target/twinstream.jar"));
    long seed = Long.parseLong(options.getOrDefault("seed", "7"));
    PrintStream out = System.out;
    List<Outcome> outcomes = new ArrayList<>();
    List<String> cases =
        command.equals("all")
            ? List.of(
                "crash", "embedded-kill", "broker-restart", "fuzz", "bad-models", "registry-outage")
            : List.of(command);
    for (String c : cases) {
      Setup setup = new Setup(cli, Files.createDirectories(dir.resolve(c)), out);
      outcomes.add(run(c, setup, options, seed));
    }
    out.println();
    out.println("| case | injected | records | lost | duplicated | notes | time |");
    out.println("|---|---|---|---|---|---|---|");
    outcomes.forEach(o -> out.println(o.row()));
    System.exit(outcomes.stream().allMatch(Outcome::exactlyOnce) ? 0 : 1);
  }

  static Outcome run(String name, Setup setup, Map<String, String> o, long seed) throws Exception {
    return switch (name) {
      case "crash" ->
          CrashRecovery.run(
              setup,
              new CrashRecovery.Config(
                  Integer.parseInt(o.getOrDefault("records", "50000")),
                  Integer.parseInt(o.getOrDefault("kills", "5")),
                  Double.parseDouble(o.getOrDefault("rate", "400")),
                  seed,
                  !o.getOrDefault("resume", "true").equals("false")));
      case "broker-restart" ->
          BrokerRestart.run(
              setup,
              new BrokerRestart.Config(
                  Integer.parseInt(o.getOrDefault("records", "20000")),
                  Double.parseDouble(o.getOrDefault("rate", "400")),
                  Duration.ofSeconds(Long.parseLong(o.getOrDefault("down", "10")))));
      case "fuzz" ->
          FuzzedInput.run(setup, Integer.parseInt(o.getOrDefault("records", "10000")), seed);
      case "bad-models" ->
          BadModels.run(
              setup,
              Integer.parseInt(o.getOrDefault("records", "3000")),
              Double.parseDouble(o.getOrDefault("rate", "50")));
      case "registry-outage" ->
          RegistryOutage.run(
              setup,
              Integer.parseInt(o.getOrDefault("records", "3000")),
              Double.parseDouble(o.getOrDefault("rate", "100")),
              Duration.ofSeconds(Long.parseLong(o.getOrDefault("down", "8"))));
      case "embedded-kill" ->
          EmbeddedRunKill.run(
              setup,
              Integer.parseInt(o.getOrDefault("records", "2000")),
              Double.parseDouble(o.getOrDefault("rate", "200")));
      default -> throw new IOException("unknown case '" + name + "'\n" + usage());
    };
  }

  private static String usage() {
    return "usage: java -jar reliability/target/reliability.jar"
        + " crash|embedded-kill|broker-restart|fuzz|bad-models|registry-outage|all"
        + " [--records N] [--kills N] [--rate PER_SECOND] [--down SECONDS] [--resume true|false]"
        + " [--seed N] [--dir DIR] [--cli JAR]";
  }
}
