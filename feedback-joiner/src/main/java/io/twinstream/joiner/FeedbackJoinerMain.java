package io.twinstream.joiner;

import java.util.Arrays;

/**
 * {@code java -jar twinstream-feedback-joiner-*-app.jar --bootstrap HOST:PORT [options]}: runs the
 * joiner until the process is stopped (SIGTERM closes it cleanly). Exit codes: 64 usage, 1 failure.
 */
public final class FeedbackJoinerMain {

  private FeedbackJoinerMain() {}

  public static void main(String[] args) throws Exception {
    System.exit(run(args));
  }

  /** Runs until interrupted or stopped; returns the exit code. */
  public static int run(String... args) throws Exception {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      System.out.print(JoinerArguments.usage());
      return 0;
    }
    JoinerArguments arguments;
    try {
      arguments = JoinerArguments.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("twinstream joiner: " + e.getMessage());
      return 64;
    }
    FeedbackJoiner.runUntilStopped(arguments, System.err::println);
    return 0;
  }
}
