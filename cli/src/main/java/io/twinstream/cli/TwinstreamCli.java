package io.twinstream.cli;

import io.twinstream.trainer.TorchDefaults;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code twinstream} command: entry point of the CLI jar. */
@Command(
    name = "twinstream",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description =
        "Sentence embeddings for message streams, from a siamese encoder that keeps learning.",
    subcommands = {
      EmbedCommand.class,
      RunCommand.class,
      ProduceCommand.class,
      ConsumeCommand.class,
      ModelCommand.class,
      TrainCommand.class,
      EvalCommand.class,
      DemoCommand.class,
      JoinerCommand.class,
      BackfillCommand.class,
      ControllerCommand.class,
      StoreCommand.class,
      ServeCommand.class,
      CommandLine.HelpCommand.class
    })
public final class TwinstreamCli {

  /**
   * Exit code when the command line is wrong (BSD's EX_USAGE), distinct from 2 = rejected input
   * lines.
   */
  public static final int EXIT_USAGE = 64;

  public static void main(String[] args) {
    // The run command stops Flink and Kafka from its own shutdown hook; Log4j must not stop first.
    System.setProperty("log4j.shutdownHookEnabled", "false");
    // The JDK's HTTP servers (serve, the joiner's metrics) answer without Nagle's 40 ms stalls; set
    // before any of them is created (docs/serve.md).
    System.setProperty("sun.net.httpserver.nodelay", "true");
    // The PyTorch engine (train, demo) loads from the jar's native library, one compute thread per
    // core.
    TorchDefaults.apply();
    int code;
    try {
      code = run(args);
    } catch (OutOfMemoryError e) {
      // The command's objects are unreachable by now: there is room to say what happened.
      System.err.println(outOfMemory(args, e, Runtime.getRuntime().maxMemory()));
      code = EXIT_OUT_OF_MEMORY;
    }
    System.exit(code);
  }

  /**
   * Exit code when the JVM ran out of heap (a one-shot command in a small container), distinct from
   * 1 = the command failed.
   */
  public static final int EXIT_OUT_OF_MEMORY = 3;

  /** What a command that ran out of heap tells its user: the command, the limit, the fix. */
  static String outOfMemory(String[] args, OutOfMemoryError e, long maxHeap) {
    StringBuilder command = new StringBuilder("twinstream");
    for (String a : args) {
      if (a.startsWith("-")) {
        break;
      }
      command.append(' ').append(a);
    }
    return command
        + ": out of memory ("
        + e.getMessage()
        + ") with a Java heap of at most "
        + (maxHeap >> 20)
        + " MiB. Give the JVM more: TWINSTREAM_JAVA_OPTS=-Xmx1g (publishing or promoting the"
        + " default 90 MB model needs 384 MiB of heap); in the twinstream image the heap is half of"
        + " the container's memory limit (docs/operations.md, \"Memory\").";
  }

  /** Runs the command line and returns the exit code (for tests and embedding). */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new TwinstreamCli());
    cmd.setCaseInsensitiveEnumValuesAllowed(true);
    cmd.setParameterExceptionHandler(
        (e, args) -> {
          CommandLine failed = e.getCommandLine();
          failed.getErr().println("twinstream: " + e.getMessage());
          failed
              .getErr()
              .println(
                  "Try '"
                      + failed.getCommandSpec().qualifiedName()
                      + " --help' for more information.");
          return EXIT_USAGE;
        });
    cmd.setExecutionExceptionHandler(
        (e, command, parseResult) -> {
          command.getErr().println("twinstream: " + e.getMessage());
          if (System.getenv("TWINSTREAM_DEBUG") != null) {
            e.printStackTrace(command.getErr());
          }
          return 1;
        });
    return cmd;
  }
}
