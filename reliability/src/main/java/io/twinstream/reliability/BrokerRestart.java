package io.twinstream.reliability;

import io.twinstream.testkit.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The broker stopped mid-stream and started again on the same port and data after a pause, while
 * the job and the producer keep running: the job's clients fail and retry (its tasks may restart
 * from the last checkpoint), the producer retries its sends. Every sentence must come out once.
 */
final class BrokerRestart {

  /**
   * @param records sentences produced
   * @param perSecond production rate
   * @param down how long the broker stays down
   */
  record Config(int records, double perSecond, Duration down) {}

  private BrokerRestart() {}

  static Outcome run(Setup setup, Config config) throws Exception {
    long started = System.nanoTime();
    Corpus corpus = Corpus.load();
    Path data = setup.dir().resolve("kafka");
    EmbeddedKafka kafka = EmbeddedKafka.start(data, 0, false);
    int port = kafka.port();
    String bootstrap = kafka.bootstrapServers();
    Setup.createTopics(kafka, Map.of());
    JobProcess job =
        JobProcess.start(setup.cliJar(), setup.runArgs(bootstrap), Map.of(), setup.log());
    try {
      job.await(job.watch(JobProcess.RUNNING), Duration.ofMinutes(3), "a running job");
      SentenceFeed feed =
          new SentenceFeed(bootstrap, Setup.SENTENCES, corpus, config.records(), config.perSecond())
              .start();
      try (feed) {
        // wait until a third of the stream is embedded, then take the broker away
        try (OutputAudit audit =
            new OutputAudit(bootstrap, Setup.EMBEDDINGS, Setup.DEAD_LETTERS)
                .progressTo(setup.progress())) {
          audit.awaitUntil(
              () -> audit.embeddings().size() >= config.records() / 3,
              Duration.ofMinutes(3),
              Duration.ofMinutes(30));
          setup.say(
              "%,d embeddings visible, %,d produced: stopping the broker for %d s",
              audit.embeddings().size(), feed.acknowledged(), config.down().toSeconds());
        }
        kafka.close();
        Thread.sleep(config.down().toMillis());
        kafka = EmbeddedKafka.start(data, port, false);
        setup.say("broker back on port %d", port);
        Setup.check(job.alive(), "the job process died with the broker:\n" + job.tail(40));
        feed.awaitDone(Duration.ofMinutes(30).toMillis());
        List<String> ids = List.copyOf(feed.positions().keySet());
        try (OutputAudit audit =
            new OutputAudit(bootstrap, Setup.EMBEDDINGS, Setup.DEAD_LETTERS)
                .progressTo(setup.progress())) {
          audit.awaitUntil(
              () -> audit.embeddedAll(ids), Duration.ofMinutes(3), Duration.ofMinutes(30));
          long lost = audit.lost(ids);
          long duplicated = audit.duplicated();
          setup.say(
              "%,d embeddings of %,d sentences: %d lost, %d duplicated",
              audit.embeddings().size(), ids.size(), lost, duplicated);
          return new Outcome(
              "broker restart mid-stream",
              "broker stopped for "
                  + config.down().toSeconds()
                  + " s after a third of the stream, restarted on the same port and data",
              ids.size(),
              lost,
              duplicated,
              job.alive() ? "the job process kept running" : "the job process ended",
              List.of(),
              Setup.since(started));
        }
      }
    } finally {
      job.close();
      kafka.close();
      Setup.deleteTree(data);
    }
  }
}
