package io.twinstream.cli;

import picocli.CommandLine.Option;

/**
 * {@code -h, --help} alone, for commands with a {@code --version} option of their own (a model
 * version), where picocli's standard help options (which add {@code --version} too) cannot be mixed
 * in.
 */
final class HelpOption {

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;
}
