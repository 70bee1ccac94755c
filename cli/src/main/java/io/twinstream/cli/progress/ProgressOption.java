package io.twinstream.cli.progress;

import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code --[no-]progress}: a progress line on stderr, by default when stderr is a terminal. */
public final class ProgressOption {

  @Option(
      names = "--progress",
      negatable = true,
      description = "Show a progress line on stderr (default: when stderr is a terminal).")
  Boolean progress;

  public Progress create(PrintWriter err, String label, long total) {
    return create(err, label, total, "lines");
  }

  public Progress create(PrintWriter err, String label, long total, String unit) {
    return new Progress(
        err, progress != null ? progress : Terminal.stderrIsTerminal(), label, total, unit);
  }
}
