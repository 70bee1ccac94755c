package io.twinstream.reliability;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.TestBundles;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.encoder.registry.ModelUpdates;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.records.ModelUpdate;
import io.twinstream.testkit.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry's directory goes away (a share unmounted, a store down) just as a promotion is
 * announced, and comes back {@code down} later: the job must keep serving, retry the load with its
 * backoff, swap to the promoted version once the files are back, and lose or repeat nothing.
 */
final class RegistryOutage {

  private RegistryOutage() {}

  static Outcome run(Setup setup, int records, double perSecond, Duration down) throws Exception {
    long started = System.nanoTime();
    Corpus corpus = Corpus.load();
    Path root = setup.dir().resolve("registry");
    Path away = setup.dir().resolve("registry-unmounted");
    ModelRegistry registry = ModelRegistry.open(root);
    ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT_INT8);
    registry.publish(base.withVersion("v1", null));
    registry.publish(TestBundles.perturbed(base, "v2", 1.5f));
    registry.setCurrent("v1");
    int metricsPort = Metrics.freePort();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(setup.dir().resolve("kafka"), 0, true)) {
      String bootstrap = kafka.bootstrapServers();
      Setup.createTopics(kafka, Map.of());
      KafkaModelUpdates updates =
          new KafkaModelUpdates(
                  registry, "default", Map.of("bootstrap.servers", bootstrap), "model-updates")
              .ensureTopic();
      List<String> args =
          setup.runArgs(
              bootstrap,
              "--model",
              "registry",
              "--registry",
              root.toString(),
              "--metrics-port",
              Integer.toString(metricsPort));
      JobProcess job = JobProcess.start(setup.cliJar(), args, Map.of(), setup.log());
      try (job) {
        job.await(job.watch(JobProcess.RUNNING), Duration.ofMinutes(3), "a running job");
        Metrics metrics = new Metrics(metricsPort);
        try (SentenceFeed feed =
                new SentenceFeed(bootstrap, Setup.SENTENCES, corpus, records, perSecond).start();
            OutputAudit audit =
                new OutputAudit(bootstrap, Setup.EMBEDDINGS, Setup.DEAD_LETTERS)
                    .progressTo(setup.progress())) {
          audit.awaitUntil(
              () -> audit.embeddings().size() >= records / 4,
              Duration.ofMinutes(3),
              Duration.ofMinutes(10));
          ModelUpdate promotion =
              new ModelUpdates(registry)
                  .promoted("v2", "test: promoted while the registry is away");
          Files.move(root, away);
          long goneAt = System.nanoTime();
          updates.send(promotion);
          setup.say("registry moved away; PROMOTED v2 sent; back in %d s", down.toSeconds());
          while (System.nanoTime() - goneAt < down.toNanos()) {
            audit.poll(Duration.ofMillis(200));
          }
          Files.move(away, root);
          setup.say("registry back");
          List<String> ids = new ArrayList<>();
          // sentences keep coming for 30 s more, to meet the model once the job swaps it in
          try (SentenceFeed after =
              new SentenceFeed(
                      bootstrap,
                      Setup.SENTENCES,
                      corpus,
                      (int) (perSecond * 30),
                      perSecond,
                      "after")
                  .start()) {
            feed.awaitDone(Duration.ofMinutes(30).toMillis());
            after.awaitDone(Duration.ofMinutes(30).toMillis());
            ids.addAll(feed.positions().keySet());
            ids.addAll(after.positions().keySet());
          }
          audit.awaitUntil(
              () -> audit.embeddedAll(ids), Duration.ofMinutes(3), Duration.ofMinutes(30));
          Map<String, Integer> versions = new LinkedHashMap<>();
          audit
              .embeddings()
              .values()
              .forEach(l -> versions.merge(l.get(0).modelVersion(), 1, Integer::sum));
          double swaps = metrics.sum("modelSwaps");
          double refusals = metrics.sum("modelRefusals");
          List<String> violations = new ArrayList<>();
          if (!versions.containsKey("v2")) {
            violations.add("v2 never served after the registry came back");
          }
          if (refusals > 0) {
            violations.add(refusals + " refusals: the promotion was given up");
          }
          long lost = audit.lost(ids);
          long duplicated = audit.duplicated();
          setup.say(
              "versions served: %s, swaps %.0f, refusals %.0f; %d lost, %d duplicated",
              versions, swaps, refusals, lost, duplicated);
          return new Outcome(
              "registry briefly unavailable",
              "registry directory moved away for " + down.toSeconds() + " s as v2 was announced",
              ids.size(),
              lost,
              duplicated,
              "served "
                  + versions
                  + "; the load was retried with backoff and v2 swapped in once the files were back",
              violations,
              Setup.since(started));
        }
      }
    }
  }
}
