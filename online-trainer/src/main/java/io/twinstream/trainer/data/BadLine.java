package io.twinstream.trainer.data;

/**
 * A line of an input file that was skipped, and why.
 *
 * @param file the file's path as given
 * @param line 1-based line number
 * @param reason what is wrong with it
 */
public record BadLine(String file, long line, String reason) {

  @Override
  public String toString() {
    return file + ":" + line + ": " + reason;
  }
}
