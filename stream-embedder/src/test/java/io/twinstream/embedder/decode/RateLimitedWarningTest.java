package io.twinstream.embedder.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

class RateLimitedWarningTest {

  /** An SLF4J logger that keeps what it is asked to log. */
  static final class Recording extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;
    final List<String> lines = new ArrayList<>();

    @Override
    protected String getFullyQualifiedCallerName() {
      return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(
        Level level, Marker marker, String pattern, Object[] args, Throwable t) {
      lines.add(level + " " + MessageFormatter.basicArrayFormat(pattern, args));
    }

    @Override
    public boolean isTraceEnabled() {
      return true;
    }

    @Override
    public boolean isDebugEnabled() {
      return true;
    }

    @Override
    public boolean isInfoEnabled() {
      return true;
    }

    @Override
    public boolean isWarnEnabled() {
      return true;
    }

    @Override
    public boolean isErrorEnabled() {
      return true;
    }
  }

  @Test
  void aBurstLogsOneWarningPerIntervalAndCountsTheRest() {
    Recording log = new Recording();
    AtomicLong now = new AtomicLong(1_000);
    RateLimitedWarning warning = new RateLimitedWarning(log, 10_000, now::get);
    assertTrue(warning.warn("bad record 1"));
    for (int i = 2; i <= 500; i++) {
      now.addAndGet(10);
      assertFalse(warning.warn("bad record " + i));
    }
    assertEquals(499, warning.suppressed());
    now.set(11_000);
    assertTrue(warning.warn("bad record 501"));
    assertEquals(
        List.of("WARN bad record 1", "WARN bad record 501 (499 more like it in the last 10 s)"),
        log.lines);
    assertEquals(0, warning.suppressed());
  }
}
