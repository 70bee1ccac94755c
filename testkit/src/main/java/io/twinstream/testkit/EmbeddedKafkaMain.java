package io.twinstream.testkit;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs an {@link EmbeddedKafka} broker as a process of its own: {@code EmbeddedKafkaMain DIR PORT}.
 * Prints {@code bootstrap=HOST:PORT} on a line of its own once the broker is ready, then runs until
 * the process is stopped (SIGTERM or SIGINT shut the broker down cleanly). Started by {@code
 * twinstream run --embedded}.
 */
public final class EmbeddedKafkaMain {

  private EmbeddedKafkaMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: EmbeddedKafkaMain DATA_DIR PORT");
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
    stopped.await();
  }
}
