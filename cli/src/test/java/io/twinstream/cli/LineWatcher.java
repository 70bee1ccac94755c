package io.twinstream.cli;

import java.io.StringWriter;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Captures what a command prints, and completes {@link #first()} with the first line that matches a
 * pattern: a test waits on the future instead of polling the text.
 */
final class LineWatcher extends StringWriter {

  private final Pattern pattern;
  private final CompletableFuture<Matcher> first = new CompletableFuture<>();
  private final StringBuilder line = new StringBuilder();

  LineWatcher(Pattern pattern) {
    this.pattern = pattern;
  }

  /** The first matching line's match. */
  CompletableFuture<Matcher> first() {
    return first;
  }

  @Override
  public void write(int c) {
    super.write(c);
    see(String.valueOf((char) c));
  }

  @Override
  public void write(char[] buf, int off, int len) {
    super.write(buf, off, len);
    see(new String(buf, off, len));
  }

  @Override
  public void write(String str) {
    super.write(str);
    see(str);
  }

  @Override
  public void write(String str, int off, int len) {
    super.write(str, off, len);
    see(str.substring(off, off + len));
  }

  private synchronized void see(String text) {
    for (char c : text.toCharArray()) {
      if (c == '\n') {
        Matcher m = pattern.matcher(line.toString().stripTrailing());
        if (m.matches()) {
          first.complete(m);
        }
        line.setLength(0);
      } else {
        line.append(c);
      }
    }
  }
}
