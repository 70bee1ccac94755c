package io.twinstream.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs an {@link EmbeddedKafka} broker as a process of its own: {@code EmbeddedKafkaMain DIR PORT
 * [--exit-with-parent]}. Prints {@code bootstrap=HOST:PORT} on a line of its own once the broker is
 * ready, then runs until the process is stopped (SIGTERM or SIGINT shut the broker down cleanly).
 * With {@code --exit-with-parent} it also stops when its standard input ends: the pipe from the
 * process that started it closes when that process dies, even by SIGKILL, so no broker is left
 * behind. Started by {@code twinstream run --embedded}.
 */
public final class EmbeddedKafkaMain {

  /** The flag that ties the broker's life to its parent's. */
  public static final String EXIT_WITH_PARENT = "--exit-with-parent";

  private EmbeddedKafkaMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2
        || args.length > 3
        || (args.length == 3 && !args[2].equals(EXIT_WITH_PARENT))) {
      System.err.println("usage: EmbeddedKafkaMain DATA_DIR PORT [" + EXIT_WITH_PARENT + "]");
      System.exit(64);
    }
    EmbeddedKafka kafka = EmbeddedKafka.start(Path.of(args[0]), Integer.parseInt(args[1]), false);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  kafka.close();
                  stopped.countDown();
                },
                "kafka-shutdown"));
    System.out.println("bootstrap=" + kafka.bootstrapServers());
    System.out.flush();
    if (args.length == 3) {
      Thread watcher =
          new Thread(
              () -> {
                try {
                  while (System.in.read() != -1) {
                    // nothing is ever written: the read returns -1 when the parent is gone
                  }
                } catch (IOException e) {
                  // a broken pipe means the same
                }
                System.exit(0); // the shutdown hook closes the broker
              },
              "parent-watcher");
      watcher.setDaemon(true);
      watcher.start();
    }
    stopped.await();
  }
}
