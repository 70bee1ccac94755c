package io.twinstream.reliability;

import io.twinstream.reliability.FuzzedRecords.Fate;
import io.twinstream.reliability.FuzzedRecords.Fuzzed;
import io.twinstream.testkit.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Fuzzed records ({@link FuzzedRecords}) into a job that may not restart ({@code
 * restart.attempts=0}: one task failure ends it): every record must come out once, as an embedding
 * or as a dead letter with a reason, and the job must still be running at the end. The sentences
 * topic takes records up to 4 MB, so that records over the job's own limits reach it.
 */
final class FuzzedInput {

  private FuzzedInput() {}

  static Outcome run(Setup setup, int count, long seed) throws Exception {
    long started = System.nanoTime();
    List<Fuzzed> records = FuzzedRecords.generate(count, seed);
    try (EmbeddedKafka kafka = EmbeddedKafka.start(setup.dir().resolve("kafka"), 0, true)) {
      String bootstrap = kafka.bootstrapServers();
      Setup.createTopics(kafka, Map.of(Setup.SENTENCES, Map.of("max.message.bytes", "4194304")));
      JobProcess job =
          JobProcess.start(
              setup.cliJar(),
              setup.runArgs(bootstrap, "--set", "restart.attempts=0"),
              Map.of(),
              setup.log());
      try (job) {
        job.await(job.watch(JobProcess.RUNNING), Duration.ofMinutes(3), "a running job");
        setup.say(
            "job running; producing %,d fuzzed records: %s",
            records.size(), new TreeMap<>(FuzzedRecords.kinds(records)));
        List<RecordMetadata> where = produce(bootstrap, records);
        Set<String> embedIds = new HashSet<>();
        Set<String> deadPositions = new HashSet<>();
        Set<String> deletedIds = new HashSet<>();
        for (int i = 0; i < records.size(); i++) {
          String position =
              Setup.SENTENCES + "-" + where.get(i).partition() + "@" + where.get(i).offset();
          switch (records.get(i).fate()) {
            case EMBEDDED -> embedIds.add(records.get(i).id());
            case DEAD_LETTER -> deadPositions.add(position);
            case DELETED -> deletedIds.add(records.get(i).id());
            case EITHER -> {}
          }
        }
        try (OutputAudit audit =
            new OutputAudit(bootstrap, Setup.EMBEDDINGS, Setup.DEAD_LETTERS)
                .progressTo(setup.progress())) {
          audit.awaitUntil(
              () ->
                  audit.embeddedAll(embedIds)
                      && audit.deadLetters().keySet().containsAll(deadPositions)
                      && audit.deleted().containsAll(deletedIds)
                      && audit.embeddings().size()
                              + audit.deadLetters().size()
                              + audit.deleted().size()
                          >= records.size(),
              Duration.ofMinutes(2),
              Duration.ofMinutes(20));
          long lost = 0;
          long duplicated = audit.duplicated();
          Map<String, Integer> surprises = new TreeMap<>();
          long unexplained = 0;
          for (int i = 0; i < records.size(); i++) {
            Fuzzed r = records.get(i);
            String position =
                Setup.SENTENCES + "-" + where.get(i).partition() + "@" + where.get(i).offset();
            boolean dead = audit.deadLetters().containsKey(position);
            boolean embedded = r.id() != null && audit.embeddings().containsKey(r.id());
            if (dead) {
              duplicated += audit.deadLetters().get(position).size() - 1;
              for (OutputAudit.Letter l : audit.deadLetters().get(position)) {
                if (l.error() == null || l.error().isBlank()) {
                  unexplained++;
                }
              }
            }
            if (r.fate() == Fate.DELETED) {
              if (!audit.deleted().contains(r.id())) {
                lost++;
                surprises.merge("no tombstone: " + r.kind(), 1, Integer::sum);
              } else if (dead) {
                surprises.merge("dead-lettered: " + r.kind(), 1, Integer::sum);
              }
              continue;
            }
            if (dead && embedded && r.fate() != Fate.EITHER) {
              duplicated++;
            }
            if (!dead && !embedded) {
              if (r.fate() == Fate.EITHER && r.id() == null) {
                continue; // decoded as some sentence with a random id: counted below
              }
              lost++;
              surprises.merge("no output: " + r.kind(), 1, Integer::sum);
            } else if (dead && r.fate() == Fate.EMBEDDED) {
              surprises.merge("dead-lettered: " + r.kind(), 1, Integer::sum);
            } else if (embedded && !dead && r.fate() == Fate.DEAD_LETTER) {
              surprises.merge("embedded: " + r.kind(), 1, Integer::sum);
            }
          }
          long strangers =
              audit.embeddings().keySet().stream().filter(id -> !id.startsWith("z-")).count();
          long eitherUnknown = 0;
          for (int i = 0; i < records.size(); i++) {
            Fuzzed r = records.get(i);
            String position =
                Setup.SENTENCES + "-" + where.get(i).partition() + "@" + where.get(i).offset();
            if (r.fate() == Fate.EITHER
                && r.id() == null
                && !audit.deadLetters().containsKey(position)) {
              eitherUnknown++;
            }
          }
          lost += Math.max(0, eitherUnknown - strangers);
          Map<String, Integer> reasons = new TreeMap<>();
          for (List<OutputAudit.Letter> ls : audit.deadLetters().values()) {
            for (OutputAudit.Letter l : ls) {
              reasons.merge(reason(l.error()), 1, Integer::sum);
            }
          }
          boolean alive = job.alive();
          setup.say(
              "embedded %,d, dead-lettered %,d, deleted %,d; lost %d, duplicated %d; job %s",
              audit.embeddings().size(),
              audit.deadLetters().size(),
              audit.deleted().size(),
              lost,
              duplicated,
              alive ? "still running" : "ended");
          setup.say("dead-letter reasons: %s", reasons);
          if (!surprises.isEmpty()) {
            setup.say("records whose fate differed from the expected one: %s", surprises);
          }
          return new Outcome(
              "fuzzed records",
              count
                  + " records of "
                  + FuzzedRecords.kinds(records).size()
                  + " kinds, restart.attempts=0",
              records.size(),
              lost,
              duplicated,
              String.format(
                  "%,d embedded, %,d dead letters, %,d tombstones, %d without a reason; %s;"
                      + " other fates: %s",
                  audit.embeddings().size(),
                  audit.deadLetters().size(),
                  audit.deleted().size(),
                  unexplained,
                  alive ? "the job never failed" : "THE JOB FAILED",
                  surprises.isEmpty() ? "none" : surprises),
              violations(alive, unexplained),
              Setup.since(started));
        }
      }
    }
  }

  private static List<RecordMetadata> produce(String bootstrap, List<Fuzzed> records)
      throws Exception {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * 1024 * 1024);
    config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (Fuzzed r : records) {
        sent.add(producer.send(new ProducerRecord<>(Setup.SENTENCES, r.key(), r.value())));
      }
      producer.flush();
    }
    List<RecordMetadata> out = new ArrayList<>();
    for (var f : sent) {
      out.add(f.get());
    }
    return out;
  }

  private static List<String> violations(boolean alive, long unexplained) {
    List<String> out = new ArrayList<>();
    if (!alive) {
      out.add("the job failed (restart.attempts=0)");
    }
    if (unexplained > 0) {
      out.add(unexplained + " dead letters without a reason");
    }
    return out;
  }

  /** A dead letter's reason without its particulars (ids, positions, sizes), to count kinds. */
  static String reason(String error) {
    String e = error == null ? "" : error;
    e = e.replaceAll("sentences-\\d+@\\d+", "P").replaceAll("Sentence \\S+", "Sentence X");
    e = e.replaceAll("\\d+", "N");
    return e.length() > 90 ? e.substring(0, 90) : e;
  }
}
