package io.twinstream.reliability;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code twinstream run --embedded} killed with SIGKILL: its broker (a child JVM) must stop too,
 * leaving nothing running and nothing in temporary directories, and the same command with the same
 * state directory must bring back the broker's data and resume the job from its checkpoint, so
 * every sentence comes out once.
 */
final class EmbeddedRunKill {

  private EmbeddedRunKill() {}

  static Outcome run(Setup setup, int records, double perSecond) throws Exception {
    long started = System.nanoTime();
    Corpus corpus = Corpus.load();
    int port = Metrics.freePort();
    Path state = setup.dir().resolve("state");
    List<String> args =
        List.of(
            "run",
            "--embedded",
            "--kafka-port",
            Integer.toString(port),
            "--state-dir",
            state.toString(),
            "--checkpoint-interval",
            "1s");
    String bootstrap = "127.0.0.1:" + port;
    List<String> violations = new ArrayList<>();
    JobProcess job = JobProcess.start(setup.cliJar(), args, Map.of(), setup.log());
    long lost;
    long duplicated;
    List<String> ids = new ArrayList<>();
    try {
      job.await(job.watch(JobProcess.RUNNING), Duration.ofMinutes(3), "a running job");
      try (SentenceFeed feed =
          new SentenceFeed(bootstrap, Setup.SENTENCES, corpus, records, perSecond).start()) {
        feed.awaitDone(Duration.ofMinutes(10).toMillis());
        ids.addAll(feed.positions().keySet());
      }
      try (OutputAudit audit = new OutputAudit(bootstrap, Setup.EMBEDDINGS, Setup.DEAD_LETTERS)) {
        audit.awaitUntil(
            () -> audit.embeddings().size() >= records / 2,
            Duration.ofMinutes(2),
            Duration.ofMinutes(5));
        setup.say(
            "%,d of %,d embedded; SIGKILL to run --embedded (pid %d)",
            audit.embeddings().size(), records, job.pid());
      }
      job.kill();
      long killed = System.nanoTime();
      while (listening(port) && System.nanoTime() - killed < Duration.ofSeconds(60).toNanos()) {
        Thread.sleep(200);
      }
      if (listening(port)) {
        violations.add("the embedded broker outlived its killed parent");
      } else {
        setup.say(
            "the broker stopped %d ms after its parent was killed", Setup.since(killed).toMillis());
      }
      while (holdsState(state) && System.nanoTime() - killed < Duration.ofSeconds(60).toNanos()) {
        Thread.sleep(200);
      }
      if (holdsState(state)) {
        violations.add("a process still runs with the state directory a minute later");
      }
      if (!Files.isDirectory(state.resolve("kafka"))) {
        violations.add("the broker's data is not in the state directory");
      }
      job = JobProcess.start(setup.cliJar(), args, Map.of(), setup.log());
      CompletableFuture<String> resumed = job.watch(l -> l.contains("resuming from"));
      job.await(
          job.watch(JobProcess.RUNNING), Duration.ofMinutes(3), "a running job after the restart");
      if (!resumed.isDone()) {
        violations.add("the restarted run did not resume from a checkpoint");
      }
      try (OutputAudit audit = new OutputAudit(bootstrap, Setup.EMBEDDINGS, Setup.DEAD_LETTERS)) {
        audit.awaitUntil(
            () -> audit.embeddedAll(ids), Duration.ofMinutes(2), Duration.ofMinutes(10));
        lost = audit.lost(ids);
        duplicated = audit.duplicated();
      }
      int exit = job.stop(Duration.ofSeconds(90));
      if (exit != 0 && exit != 143) { // 143: the JVM's exit on SIGTERM, after its hooks ran
        violations.add("run exited " + exit + " on SIGTERM");
      }
      if (listening(port)) {
        violations.add("the broker still listens after run stopped");
      }
    } finally {
      job.close();
    }
    setup.say(
        "%d lost, %d duplicated; %s",
        lost, duplicated, violations.isEmpty() ? "no leftovers" : violations);
    return new Outcome(
        "SIGKILL of `run --embedded`",
        "SIGKILL with half the stream embedded; the same command again",
        ids.size(),
        lost,
        duplicated,
        "the broker child stopped with its parent; the restart reused its data and resumed from the checkpoint",
        violations,
        Setup.since(started));
  }

  /** Whether a process runs with {@code state} on its command line (the broker child). */
  private static boolean holdsState(Path state) {
    return ProcessHandle.allProcesses()
        .anyMatch(p -> p.info().commandLine().orElse("").contains(state.toString()));
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
