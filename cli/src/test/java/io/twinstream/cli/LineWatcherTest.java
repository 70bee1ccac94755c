package io.twinstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.PrintWriter;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class LineWatcherTest {

  @Test
  void theFirstMatchingLineCompletesTheFutureWhateverWayThePrintWriterWritesIt() throws Exception {
    LineWatcher watcher = new LineWatcher(Pattern.compile("^bootstrap=(\\S+)$"));
    PrintWriter out = new PrintWriter(watcher, true);
    out.print("starting");
    out.println(" Kafka");
    assertFalse(watcher.first().isDone());
    out.println("bootstrap=127.0.0.1:9092");
    out.println("bootstrap=ignored:1");
    assertEquals("127.0.0.1:9092", watcher.first().get().group(1));
    assertEquals(
        "starting Kafka\nbootstrap=127.0.0.1:9092\nbootstrap=ignored:1\n",
        watcher.toString().replace(System.lineSeparator(), "\n"));
  }
}
