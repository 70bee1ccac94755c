package io.twinstream.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code --[no-]progress}: a progress line on stderr, by default when stderr is a terminal. */
final class ProgressOption {

  @Option(
      names = "--progress",
      negatable = true,
      description = "Show a progress line on stderr (default: when stderr is a terminal).")
  Boolean progress;

  Progress create(PrintWriter err, String label, long total) {
    return create(err, label, total, "lines");
  }

  Progress create(PrintWriter err, String label, long total, String unit) {
    return new Progress(
        err, progress != null ? progress : Terminal.stderrIsTerminal(), label, total, unit);
  }
}
