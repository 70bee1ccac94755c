package io.twinstream.reliability;

import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.TestBundles;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.testkit.EmbeddedKafka;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Bad models against a running job that serves {@code v1} from a registry: each bad bundle is
 * refused by {@code publish} (the check {@code model publish} runs), then, written into the
 * registry by hand, refused by {@code promote}, then announced anyway with a forged PROMOTED
 * update, which the job refuses; one forged update is dated a day ahead. A real promotion of {@code
 * v2} must then still take effect, and every sentence streamed meanwhile must be embedded once, by
 * v1 until the swap and by v2 after it, never by a bad bundle.
 */
final class BadModels {

  /** A bad bundle and how it is bad. */
  private record Bad(String version, String what, ModelBundle bundle) {}

  private BadModels() {}

  static Outcome run(Setup setup, int records, double perSecond) throws Exception {
    long started = System.nanoTime();
    Corpus corpus = Corpus.load();
    Path root = setup.dir().resolve("registry");
    ModelRegistry registry = ModelRegistry.open(root);
    ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT_INT8);
    registry.publish(base.withVersion("v1", null));
    registry.publish(TestBundles.perturbed(base, "v2", 1.5f));
    registry.setCurrent("v1");
    List<Bad> bad = badBundles(base);
    List<String> refusals = new ArrayList<>();
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
              () -> !audit.embeddings().isEmpty(), Duration.ofMinutes(3), Duration.ofMinutes(5));
          // 1. publish refuses each one
          for (Bad b : bad) {
            refusals.add(
                "publish " + b.what() + ": " + refusal(() -> registry.publish(b.bundle())));
          }
          // 2. written into the registry by hand, promote refuses each one (nothing is announced)
          for (Bad b : bad) {
            writeByHand(root, b.bundle());
            refusals.add(
                "promote " + b.what() + ": " + refusal(() -> updates.promote(b.version(), "test")));
          }
          // a good bundle whose file changed after its manifest was written
          writeByHand(root, base.withVersion("tampered", null));
          String tamperedSha = sha(root, "tampered");
          Files.writeString(root.resolve("tampered").resolve(BundleManifest.TOKENIZER_FILE), "{}");
          // 3. forged announcements reach the job: it must refuse every one and keep serving v1
          int forged = 0;
          for (Bad b : bad) {
            updates.send(
                forged(
                    b.version(),
                    registry.uri(b.version()).toString(),
                    sha(root, b.version()),
                    Instant.now()));
            forged++;
          }
          updates.send(
              forged("tampered", registry.uri("tampered").toString(), tamperedSha, Instant.now()));
          forged++;
          Path outside = setup.dir().resolve("outside");
          writeByHandAt(outside, base.withVersion("outside", null));
          updates.send(
              forged(
                  "outside",
                  outside.resolve("outside").toUri().toString(),
                  sha(outside, "outside"),
                  Instant.now()));
          forged++;
          Files.createSymbolicLink(root.resolve("linked"), outside.resolve("outside"));
          updates.send(
              forged(
                  "linked",
                  registry.uri("linked").toString(),
                  sha(outside, "outside"),
                  Instant.now()));
          forged++;
          updates.send(forged("v2", registry.uri("v2").toString(), "0".repeat(64), Instant.now()));
          forged++;
          // a refused update dated a day ahead must not make the job ignore the next real one
          updates.send(
              forged(
                  bad.get(1).version(),
                  registry.uri(bad.get(1).version()).toString(),
                  sha(root, bad.get(1).version()),
                  Instant.now().plus(Duration.ofDays(1))));
          forged++;
          int expected = forged;
          long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
          double refused = 0;
          while (System.nanoTime() < deadline
              && (refused = metrics.sum("modelRefusals")) < expected) {
            audit.poll(Duration.ofMillis(500));
          }
          setup.say(
              "the job refused %.0f of %d forged updates; promoting v2 for real",
              refused, expected);
          feed.awaitDone(Duration.ofMinutes(30).toMillis());
          List<String> first = List.copyOf(feed.positions().keySet());
          audit.awaitUntil(
              () -> audit.embeddedAll(first), Duration.ofMinutes(3), Duration.ofMinutes(30));
          Set<String> beforeV2 = new TreeSet<>(audit.embeddings().keySet());
          updates.promote("v2", "test: the real promotion");
          List<String> ids = new ArrayList<>(first);
          try (SentenceFeed after =
              new SentenceFeed(bootstrap, Setup.SENTENCES, corpus, records, perSecond, "after")
                  .start()) {
            after.awaitDone(Duration.ofMinutes(30).toMillis());
            ids.addAll(after.positions().keySet());
          }
          audit.awaitUntil(
              () -> audit.embeddedAll(ids), Duration.ofMinutes(3), Duration.ofMinutes(30));
          Map<String, Integer> versions = new LinkedHashMap<>();
          int v1AfterV2 = 0;
          boolean v2Seen = false;
          for (String id : ids.stream().sorted().toList()) {
            List<OutputAudit.Seen> seen = audit.embeddings().getOrDefault(id, List.of());
            if (seen.isEmpty()) {
              continue;
            }
            String v = seen.get(0).modelVersion();
            versions.merge(v, 1, Integer::sum);
            if (v.equals("v2")) {
              v2Seen = true;
            }
          }
          for (String id : beforeV2) {
            if (!audit.embeddings().get(id).get(0).modelVersion().equals("v1")) {
              v1AfterV2++;
            }
          }
          long lost = audit.lost(ids);
          long duplicated = audit.duplicated();
          List<String> violations = new ArrayList<>();
          if (!Set.of("v1", "v2").containsAll(versions.keySet())) {
            violations.add("served " + versions.keySet());
          }
          if (!v2Seen) {
            violations.add("v2 never served after its real promotion");
          }
          if (v1AfterV2 > 0) {
            violations.add(
                v1AfterV2
                    + " sentences embedded before the real promotion by another version than v1");
          }
          if (refused < expected) {
            violations.add("the job refused " + refused + " of " + expected + " forged updates");
          }
          refusals.stream().filter(r -> r.endsWith("ACCEPTED")).forEach(r -> violations.add(r));
          refusals.forEach(r -> setup.say("%s", r));
          setup.say("versions served: %s; %d lost, %d duplicated", versions, lost, duplicated);
          return new Outcome(
              "bad models published, promoted and announced",
              bad.size()
                  + " bad bundles ("
                  + String.join(", ", bad.stream().map(Bad::what).toList())
                  + "), then forged updates for them and for a file changed after publishing, a bundle outside the registry, a link out of it, a wrong checksum, one dated a day ahead",
              ids.size(),
              lost,
              duplicated,
              String.format(
                  "publish refused %d/%d, promote refused %d/%d, the job refused %.0f/%d forged updates; served %s",
                  refusals.stream()
                      .filter(r -> r.startsWith("publish") && !r.endsWith("ACCEPTED"))
                      .count(),
                  bad.size(),
                  refusals.stream()
                      .filter(r -> r.startsWith("promote") && !r.endsWith("ACCEPTED"))
                      .count(),
                  bad.size(),
                  refused,
                  expected,
                  versions),
              violations,
              Setup.since(started));
        }
      }
    }
  }

  /** The bad bundles: each checks out by its checksums, none can serve. */
  static List<Bad> badBundles(ModelBundle base) {
    List<Bad> out = new ArrayList<>();
    byte[] random = new byte[64 * 1024];
    new Random(3).nextBytes(random);
    out.add(
        new Bad(
            "corrupt",
            "a random model file",
            ModelBundle.of(
                manifest(base, "corrupt", base.manifest().dimension()),
                random,
                bytes(base.tokenizerBuffer()),
                "test:corrupt")));
    out.add(new Bad("nan", "NaN weights", TestBundles.perturbed(base, "nan", Float.NaN)));
    out.add(
        new Bad(
            "wide",
            "a manifest claiming 768 dimensions",
            ModelBundle.of(
                manifest(base, "wide", 768),
                bytes(base.modelBuffer()),
                bytes(base.tokenizerBuffer()),
                "test:wide")));
    out.add(
        new Bad(
            "long",
            "maxSequenceLength 1024 for 512 positions",
            base.withVersion("long", null).withMaxSequenceLength(1024)));
    String tokenizer = new String(bytes(base.tokenizerBuffer()), StandardCharsets.UTF_8);
    String bigger =
        tokenizer.replaceFirst(
            "\"added_tokens\"\\s*:\\s*\\[",
            "\"added_tokens\":[{\"id\":40000,\"content\":\"[EXTRA]\",\"single_word\":false,"
                + "\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},");
    out.add(
        new Bad(
            "tokenizer",
            "a tokenizer of another vocabulary",
            ModelBundle.of(
                manifest(base, "tokenizer", base.manifest().dimension()),
                bytes(base.modelBuffer()),
                bigger.getBytes(StandardCharsets.UTF_8),
                "test:tokenizer")));
    return out;
  }

  private static BundleManifest manifest(ModelBundle base, String version, int dimension) {
    BundleManifest m = base.manifest();
    return new BundleManifest(
        m.format(),
        version,
        null,
        dimension,
        m.pooling(),
        m.normalize(),
        m.maxSequenceLength(),
        m.files(),
        m.createdAt(),
        "reliability suite",
        m.training(),
        m.metrics());
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  @FunctionalInterface
  private interface Attempt {
    Object run() throws Exception;
  }

  /** The reason {@code attempt} was refused, or ACCEPTED. */
  private static String refusal(Attempt attempt) {
    try {
      attempt.run();
      return "ACCEPTED";
    } catch (InvalidBundleException e) {
      return e.getMessage();
    } catch (Exception e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  private static void writeByHand(Path root, ModelBundle bundle) throws Exception {
    writeByHandAt(root, bundle);
  }

  private static void writeByHandAt(Path root, ModelBundle bundle) throws Exception {
    Path dir = root.resolve(bundle.version());
    Files.createDirectories(dir);
    for (Map.Entry<String, byte[]> f : bundle.files().entrySet()) {
      Files.write(dir.resolve(f.getKey()), f.getValue());
    }
  }

  private static String sha(Path root, String version) throws Exception {
    return ModelBundle.sha256(
        Files.readAllBytes(root.resolve(version).resolve(BundleManifest.FILE_NAME)));
  }

  private static ModelUpdate forged(String version, String uri, String sha256, Instant at) {
    return ModelUpdate.newBuilder()
        .setVersion(version)
        .setParentVersion("v1")
        .setUri(uri)
        .setSha256(sha256)
        .setStatus(ModelStatus.PROMOTED)
        .setMetrics(Map.of())
        .setCreatedAt(at)
        .setReason("forged by the reliability suite")
        .build();
  }
}
