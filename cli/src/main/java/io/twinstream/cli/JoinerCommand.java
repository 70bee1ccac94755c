package io.twinstream.cli;

import io.twinstream.joiner.FeedbackJoiner;
import io.twinstream.joiner.JoinerArguments;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code twinstream joiner}: runs the feedback joiner (impressions and clicks to weighted training
 * pairs) until stopped. Its options are the joiner's own ({@link JoinerArguments}), the same as its
 * stand-alone jar takes.
 */
@Command(
    name = "joiner",
    description =
        "Turn impressions and clicks into position-bias-weighted training pairs (Kafka Streams)"
            + " until stopped; --help lists the options.")
final class JoinerCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Unmatched List<String> args = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (args.contains("--help") || args.contains("-h")) {
      out.print(JoinerArguments.usage());
      out.flush();
      return 0;
    }
    JoinerArguments arguments;
    try {
      arguments = JoinerArguments.parse(args.toArray(String[]::new));
    } catch (IllegalArgumentException e) {
      err.println("twinstream joiner: " + e.getMessage());
      err.println("Try 'twinstream joiner --help' for more information.");
      return TwinstreamCli.EXIT_USAGE;
    }
    FeedbackJoiner.runUntilStopped(arguments, System.err::println);
    return 0;
  }
}
