package io.twinstream.lifecycle.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.encoder.registry.ModelUpdates;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.lifecycle.JournalTakenOver;
import io.twinstream.lifecycle.Phase;
import io.twinstream.lifecycle.VersionRecord;
import io.twinstream.testkit.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lifecycle's Kafka adapters on a real broker. */
class KafkaLifecycleITCase {

  @TempDir Path tmp;

  @Test
  void theJournalReadsBackEveryVersionsLastRecordAfterAReopen() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Map<String, Object> client = Map.of("bootstrap.servers", kafka.bootstrapServers());
      Instant t = Instant.parse("2026-12-07T12:00:00Z");
      VersionRecord v1 =
          VersionRecord.backfilling("v1", t)
              .backfilled(t.plusSeconds(5), 10, 10)
              .servingSince(t.plusSeconds(6), 10, null)
              .fullyServed(t.plusSeconds(7))
              .retired(
                  t.plusSeconds(60), 10, Optional.of(Duration.ofMinutes(10)), "replaced by v2");
      try (KafkaJournal journal = KafkaJournal.open(client, "journal", "reg")) {
        journal.write(VersionRecord.backfilling("v1", t));
        journal.write(v1);
        journal.write(VersionRecord.backfilling("v2", t.plusSeconds(50)));
        assertEquals(Phase.RETIRED, journal.read().get("v1").phase());
      }
      try (KafkaJournal other = KafkaJournal.open(client, "journal", "another")) {
        other.write(VersionRecord.backfilling("v9", t));
      }
      try (KafkaJournal reopened = KafkaJournal.open(client, "journal", "reg")) {
        Map<String, VersionRecord> read = reopened.read();
        assertEquals(2, read.size(), read.toString());
        assertEquals(v1, read.get("v1"));
        assertEquals(Phase.BACKFILLING, read.get("v2").phase());
        assertEquals(t.plusSeconds(50), read.get("v2").backfillStarted());
      }
    }
  }

  @Test
  void aControllerOpeningTheJournalFencesTheOneBeforeItWhichWritesAndClaimsNothingMore()
      throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Map<String, Object> client = Map.of("bootstrap.servers", kafka.bootstrapServers());
      Instant t = Instant.parse("2026-12-07T12:00:00Z");
      try (KafkaJournal first = KafkaJournal.open(client, "journal", "reg")) {
        first.write(VersionRecord.backfilling("v1", t));
        first.claim();
        try (KafkaJournal second = KafkaJournal.open(client, "journal", "reg")) {
          assertEquals(Phase.BACKFILLING, second.read().get("v1").phase(), "what the first wrote");
          JournalTakenOver fenced =
              assertThrows(
                  JournalTakenOver.class,
                  () -> first.write(VersionRecord.backfilling("v1", t).backfilled(t, 5, 5)));
          assertTrue(fenced.getMessage().contains("took it over"), fenced.getMessage());
          assertThrows(JournalTakenOver.class, first::claim);
          second.claim();
          second.write(VersionRecord.backfilling("v2", t));
        }
        // Another registry's journal on the same topic is another owner: no fence between them.
        try (KafkaJournal other = KafkaJournal.open(client, "journal", "another")) {
          other.write(VersionRecord.backfilling("v9", t));
        }
      }
      try (KafkaJournal reopened = KafkaJournal.open(client, "journal", "reg")) {
        Map<String, VersionRecord> read = reopened.read();
        assertEquals(Phase.BACKFILLING, read.get("v1").phase(), "the fenced write is not there");
        assertEquals(Phase.BACKFILLING, read.get("v2").phase());
        assertEquals(2, read.size(), read.toString());
      }
    }
  }

  @Test
  void decisionsFollowTheNewestPromotionOrRollbackOfTheirRegistry() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Map<String, Object> client = Map.of("bootstrap.servers", kafka.bootstrapServers());
      ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
      ModelBundle bundle = ModelBundle.builtin(ModelBundle.DEFAULT_INT8);
      registry.publish(bundle.withVersion("v1", bundle.version()));
      registry.publish(bundle.withVersion("v2", "v1"));
      KafkaModelUpdates updates =
          new KafkaModelUpdates(registry, "reg", client, "model-updates").ensureTopic();
      updates.promote("v1", "first");
      try (ModelUpdatesDecisions decisions =
          ModelUpdatesDecisions.follow(client, "model-updates", "reg", Duration.ofSeconds(30))) {
        assertEquals(Optional.of("v1"), decisions.serving(), "what the topic held at the start");
        updates.promote("v2", "better");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!decisions.serving().equals(Optional.of("v2")) && System.nanoTime() < deadline) {
          decisions.await(Duration.ofSeconds(1));
        }
        assertEquals(Optional.of("v2"), decisions.serving());
        updates.send(
            new ModelUpdates(registry).rejected("v2", Map.of(), "a rejection is no decision"));
        updates.rollback("v1", "worse after all");
        deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!decisions.serving().equals(Optional.of("v1")) && System.nanoTime() < deadline) {
          decisions.await(Duration.ofSeconds(1));
        }
        assertEquals(Optional.of("v1"), decisions.serving());
        assertTrue(decisions.alive());
      }
    }
  }
}
