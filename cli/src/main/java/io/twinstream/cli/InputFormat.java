package io.twinstream.cli;

/** How input lines are read. */
public enum InputFormat {
  /** One text per line; the id is the 1-based line number. */
  TEXT,
  /**
   * One JSON object per line: {@code {"id": "...", "text": "..."}}; a missing id becomes the line
   * number.
   */
  JSONL
}
