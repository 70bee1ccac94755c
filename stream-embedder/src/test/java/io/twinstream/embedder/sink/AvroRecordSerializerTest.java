package io.twinstream.embedder.sink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.records.DeadLetter;
import io.twinstream.records.Embedding;
import io.twinstream.schemas.AvroCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * What the sinks write: a record within the limit to its topic; one that is too large, or that its
 * schema refuses, to the dead-letter topic with the reason (so the sink never fails on it, which
 * would restart the job forever); a dead letter too large cut down, never dropped.
 */
class AvroRecordSerializerTest {

  private static final Instant T = Instant.ofEpochMilli(1_000);
  private static final WriteLimit LIMIT =
      new WriteLimit(1_000_000, "dead-letters", "write-embeddings");
  private final AvroRecordSerializer<Embedding> embeddings =
      new AvroRecordSerializer<>("embeddings", Embedding.class, Embedding::getId, LIMIT);
  private final AvroCodec<DeadLetter> letters = AvroCodec.of(DeadLetter.class);

  private static Embedding embedding(String id) {
    return Embedding.newBuilder()
        .setId(id)
        .setModelVersion("v1")
        .setVector(Collections.nCopies(384, 0.05f))
        .setTruncated(false)
        .setTokenCount(7)
        .setEventTime(T)
        .setEmbeddedAt(T)
        .setAttributes(Map.of())
        .build();
  }

  private DeadLetter letter(ProducerRecord<byte[], byte[]> record) throws Exception {
    assertEquals("dead-letters", record.topic());
    assertNull(record.key());
    return letters.decode(record.value());
  }

  @Test
  void aRecordWithinTheLimitGoesToItsTopicKeyedById() throws Exception {
    ProducerRecord<byte[], byte[]> r = embeddings.serialize(embedding("s-1"), null, 5L);
    assertEquals("embeddings", r.topic());
    assertArrayEquals("s-1".getBytes(StandardCharsets.UTF_8), r.key());
    assertEquals(5L, r.timestamp());
    assertEquals(embedding("s-1"), AvroCodec.of(Embedding.class).decode(r.value()));
  }

  @Test
  void anEmbeddingOverTheRecordLimitBecomesADeadLetterWithTheReason() throws Exception {
    String id = "i".repeat(600_000); // the record of issue 12: a 600 KB id, 1.2 MB with its vector
    Embedding big = embedding(id);
    big.setAttributes(Map.of("a", "b".repeat(500_000)));
    ProducerRecord<byte[], byte[]> r = embeddings.serialize(big, null, 5L);
    assertTrue(r.key() == null && r.value().length <= 1_000_000);
    DeadLetter letter = letter(r);
    assertEquals("embeddings", letter.getTopic());
    assertEquals("write-embeddings", letter.getStage());
    assertTrue(
        letter
            .getError()
            .matches(
                "Embedding of \\d+ bytes \\(key 600000\\) exceeds the 1000000-byte limit of"
                    + " embeddings \\(limits.record-bytes\\); value cut from \\d+ to \\d+ bytes"),
        letter.getError());
    assertEquals(600_000, letter.getKey().remaining(), "the id is kept whole");
  }

  @Test
  void aRecordItsSchemaRefusesBecomesADeadLetter() throws Exception {
    Embedding refused = embedding("s-2");
    refused.setVector(List.of(0.1f));
    refused.setModelVersion(null); // not nullable in the schema
    DeadLetter letter = letter(embeddings.serialize(refused, null, 5L));
    assertTrue(letter.getError().startsWith("cannot encode the Embedding: "), letter.getError());
    assertEquals("s-2", StandardCharsets.UTF_8.decode(letter.getKey()).toString());
  }

  @Test
  void aDeadLetterOverTheLimitIsCutDownOnItsOwnTopic() throws Exception {
    AvroRecordSerializer<DeadLetter> deadLetters =
        new AvroRecordSerializer<>("dead-letters", DeadLetter.class, null, LIMIT);
    DeadLetter raw =
        DeadLetter.newBuilder()
            .setTopic("sentences")
            .setPartition(0)
            .setOffset(9)
            .setKey(null)
            .setValue(ByteBuffer.wrap(new byte[1_048_400]))
            .setError("not an Avro single-object encoded message")
            .setStage("decode")
            .setAt(T)
            .build();
    ProducerRecord<byte[], byte[]> r = deadLetters.serialize(raw, null, 5L);
    assertTrue(r.value().length <= 1_000_000);
    DeadLetter cut = letter(r);
    assertEquals(9, cut.getOffset());
    assertTrue(cut.getError().contains("; value cut from 1048400 to "), cut.getError());
  }
}
