package io.twinstream.reliability;

import io.twinstream.testkit.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * SIGKILL of the job process while sentences stream in, restarted each time with the same state
 * directory. The broker (in this JVM) outlives the job, as a real cluster does. Kills fall at
 * random points after a start; every other one comes right after a new transaction commit shows up
 * in the output, which is where a job that restarts from its consumer group's offsets (committed
 * after the output) writes everything since again. After each kill the audit compares the group's
 * committed offsets with the inputs whose embeddings are already visible, and counts the kills that
 * indeed fell between the two commits.
 */
final class CrashRecovery {

  /**
   * @param records sentences produced
   * @param kills SIGKILLs, each followed by a restart
   * @param perSecond production rate
   * @param seed where the random kills fall
   * @param resume restart with the state directory's checkpoints (false: with {@code --fresh}, from
   *     the group's offsets, which is what a job without durable checkpoints does)
   */
  record Config(int records, int kills, double perSecond, long seed, boolean resume) {}

  private CrashRecovery() {}

  static Outcome run(Setup setup, Config config) throws Exception {
    long started = System.nanoTime();
    Corpus corpus = Corpus.load();
    Random random = new Random(config.seed());
    int betweenCommits = 0;
    long restartMillis = 0;
    try (EmbeddedKafka kafka = EmbeddedKafka.start(setup.dir().resolve("kafka"), 0, true)) {
      String bootstrap = kafka.bootstrapServers();
      Setup.createTopics(kafka, Map.of());
      List<String> args = setup.runArgs(bootstrap);
      JobProcess job = JobProcess.start(setup.cliJar(), args, Map.of(), setup.log());
      job.await(job.watch(JobProcess.RUNNING), Duration.ofMinutes(3), "a running job");
      setup.say(
          "job running (pid %d); producing %,d sentences at %.0f/s",
          job.pid(), config.records(), config.perSecond());
      try (SentenceFeed feed =
              new SentenceFeed(
                      bootstrap, Setup.SENTENCES, corpus, config.records(), config.perSecond())
                  .start();
          OutputAudit audit =
              new OutputAudit(bootstrap, Setup.EMBEDDINGS, Setup.DEAD_LETTERS)
                  .progressTo(setup.progress())) {
        for (int k = 1; k <= config.kills(); k++) {
          boolean afterCommit = k % 2 == 0;
          long runningSince = System.nanoTime();
          long minimum = Duration.ofMillis(1_500 + random.nextInt(4_500)).toNanos();
          while (true) {
            boolean news = audit.poll(Duration.ofMillis(20));
            long ran = System.nanoTime() - runningSince;
            if (ran < minimum) {
              continue;
            }
            // at a random point; or as soon as a transaction's output becomes visible
            if (!afterCommit || news || ran > Duration.ofMinutes(2).toNanos()) {
              break;
            }
          }
          job.kill();
          boolean between = outputAheadOfOffsets(kafka, feed, audit);
          if (between) {
            betweenCommits++;
          }
          setup.say(
              "kill %d of %d (%s): %,d produced, %,d embeddings visible%s",
              k,
              config.kills(),
              afterCommit ? "right after a transaction commit" : "at a random point",
              feed.acknowledged(),
              audit.embeddings().size(),
              between ? "; output committed beyond the group's offsets" : "");
          long restarting = System.nanoTime();
          List<String> restart = new ArrayList<>(args);
          if (!config.resume()) {
            restart.add("--fresh");
          }
          job = JobProcess.start(setup.cliJar(), restart, Map.of(), setup.log());
          CompletableFuture<String> running = job.watch(JobProcess.RUNNING);
          job.await(running, Duration.ofMinutes(3), "a running job after the restart");
          restartMillis += Setup.since(restarting).toMillis();
        }
        feed.awaitDone(Duration.ofMinutes(30).toMillis());
        List<String> ids = List.copyOf(feed.positions().keySet());
        setup.say("all %,d sentences produced; waiting for their embeddings", ids.size());
        audit.awaitUntil(
            () -> audit.embeddedAll(ids), Duration.ofMinutes(3), Duration.ofMinutes(30));
        job.stop(Duration.ofSeconds(60));
        long lost = audit.lost(ids);
        long duplicated = audit.duplicated();
        setup.say(
            "%,d embeddings of %,d sentences: %d lost, %d duplicated",
            audit.embeddings().size(), ids.size(), lost, duplicated);
        return new Outcome(
            config.resume()
                ? "SIGKILL of the job process, restart with the same state dir"
                : "the same without resuming (`--fresh`: restart from the group's offsets)",
            config.kills()
                + " SIGKILLs at "
                + config.perSecond()
                + " sentences/s ("
                + betweenCommits
                + " between the output commit and the offset commit)",
            ids.size(),
            lost,
            duplicated,
            "mean restart to running " + (restartMillis / Math.max(1, config.kills())) + " ms",
            List.of(),
            Setup.since(started));
      }
    }
  }

  /**
   * Whether, for some partition of the input, an embedding is visible for a record at or beyond the
   * consumer group's committed offset: the output's transaction committed and the offset commit had
   * not happened when the process died.
   */
  private static boolean outputAheadOfOffsets(
      EmbeddedKafka kafka, SentenceFeed feed, OutputAudit audit) throws Exception {
    audit.poll(Duration.ofMillis(200));
    Map<TopicPartition, Long> visible = new HashMap<>();
    for (String id : audit.embeddings().keySet()) {
      SentenceFeed.Position p = feed.positions().get(id);
      if (p != null) {
        visible.merge(p.partition(), p.offset(), Math::max);
      }
    }
    Map<TopicPartition, OffsetAndMetadata> committed;
    try (Admin admin = kafka.admin()) {
      committed = admin.listConsumerGroupOffsets(Setup.GROUP).partitionsToOffsetAndMetadata().get();
    }
    for (Map.Entry<TopicPartition, Long> v : visible.entrySet()) {
      OffsetAndMetadata c = committed.get(v.getKey());
      if (c == null || c.offset() <= v.getValue()) {
        return true;
      }
    }
    return false;
  }
}
