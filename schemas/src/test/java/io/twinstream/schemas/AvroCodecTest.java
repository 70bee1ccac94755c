package io.twinstream.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.records.DeadLetter;
import io.twinstream.records.Embedding;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Interaction;
import io.twinstream.records.InteractionType;
import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

class AvroCodecTest {

  private static final Instant T0 = Instant.ofEpochMilli(1_764_000_000_123L);

  @Test
  void everyRecordTypeRoundTrips() throws Exception {
    Sentence sentence =
        Sentence.newBuilder()
            .setId("s-1")
            .setText("héllo wörld 👋")
            .setAttributes(Map.of("lang", "en"))
            .setEventTime(T0)
            .build();
    Embedding embedding =
        Embedding.newBuilder()
            .setId("s-1")
            .setModelVersion("v7")
            .setVector(List.of(0.25f, -0.5f))
            .setTruncated(true)
            .setTokenCount(300)
            .setEventTime(T0)
            .setEmbeddedAt(T0.plusMillis(5))
            .setAttributes(Map.of())
            .build();
    FeedbackPair pair =
        FeedbackPair.newBuilder()
            .setAnchor("q")
            .setCandidate("d")
            .setLabel(1f)
            .setSource("click")
            .setEventTime(T0)
            .setAnchorId("q1")
            .build();
    Interaction interaction =
        Interaction.newBuilder()
            .setQueryId("q1")
            .setQueryText("q")
            .setDocId("d1")
            .setType(InteractionType.CLICK)
            .setPosition(2)
            .setSessionId("u")
            .setTs(T0)
            .build();
    ModelUpdate update =
        ModelUpdate.newBuilder()
            .setVersion("v2")
            .setParentVersion("v1")
            .setUri("file:///r/v2")
            .setSha256("ab")
            .setStatus(ModelStatus.PROMOTED)
            .setMetrics(Map.of("ndcg@10", 0.5))
            .setCreatedAt(T0)
            .setReason("gate passed")
            .build();
    DeadLetter dead =
        DeadLetter.newBuilder()
            .setTopic("sentences")
            .setPartition(3)
            .setOffset(42)
            .setKey(ByteBuffer.wrap(new byte[] {1}))
            .setValue(ByteBuffer.wrap(new byte[] {9, 9}))
            .setError("bad")
            .setAt(T0)
            .build();

    assertRoundTrip(AvroCodec.of(Sentence.class), sentence);
    assertRoundTrip(AvroCodec.of(Embedding.class), embedding);
    assertRoundTrip(AvroCodec.of(FeedbackPair.class), pair);
    assertRoundTrip(AvroCodec.of(Interaction.class), interaction);
    assertRoundTrip(AvroCodec.of(ModelUpdate.class), update);
    assertRoundTrip(AvroCodec.of(DeadLetter.class), dead);
    assertEquals("decode", dead.getStage(), "stage defaults to decode");
    assertNull(pair.getCandidateId());
  }

  private static <T extends SpecificRecord> void assertRoundTrip(AvroCodec<T> codec, T record)
      throws RecordDecodeException {
    byte[] bytes = codec.encode(record);
    assertEquals((byte) 0xC3, bytes[0], "single-object marker");
    assertEquals((byte) 0x01, bytes[1], "single-object marker");
    assertEquals(record, codec.decode(bytes));
  }

  @Test
  void plainTextIsRejectedAsNotSingleObjectEncoded() {
    var codec = AvroCodec.of(Sentence.class);
    var e =
        assertThrows(
            RecordDecodeException.class,
            () -> codec.decode("just some text".getBytes(StandardCharsets.UTF_8)));
    assertEquals("Sentence", e.recordType());
    assertTrue(e.reason().contains("not an Avro single-object encoded message"), e.reason());
  }

  @Test
  void nullAndEmptyValuesAreRejectedWithTheirReason() {
    var codec = AvroCodec.of(Sentence.class);
    assertTrue(
        assertThrows(RecordDecodeException.class, () -> codec.decode(null))
            .reason()
            .contains("null"));
    assertTrue(
        assertThrows(RecordDecodeException.class, () -> codec.decode(new byte[0]))
            .reason()
            .contains("empty"));
  }

  @Test
  void aRecordOfAnotherTypeIsRejectedAsUnknownSchema() {
    byte[] pairBytes =
        AvroCodec.of(FeedbackPair.class)
            .encode(
                FeedbackPair.newBuilder()
                    .setAnchor("a")
                    .setCandidate("b")
                    .setLabel(0f)
                    .setEventTime(T0)
                    .build());
    var e =
        assertThrows(
            RecordDecodeException.class, () -> AvroCodec.of(Sentence.class).decode(pairBytes));
    assertTrue(e.reason().contains("unknown schema"), e.reason());
  }

  @Test
  void aTruncatedBodyIsRejectedAsMalformed() {
    var codec = AvroCodec.of(Sentence.class);
    byte[] bytes =
        codec.encode(
            Sentence.newBuilder()
                .setId("x")
                .setText("a longer text to cut")
                .setEventTime(T0)
                .build());
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 12);
    var e = assertThrows(RecordDecodeException.class, () -> codec.decode(cut));
    assertTrue(e.reason().startsWith("malformed record body"), e.reason());
  }

  @Test
  void anyBodyAfterAValidHeaderIsDecodedOrRejectedAsMalformedNeverThrownThrough() {
    // Found by the reliability suite's fuzzed records: a garbage length made Avro throw
    // UnsupportedOperationException ("Cannot read strings longer than ..."), which failed the job.
    var codec = AvroCodec.of(Sentence.class);
    byte[] header =
        Arrays.copyOf(
            codec.encode(Sentence.newBuilder().setId("h").setText("t").setEventTime(T0).build()),
            10);
    Random random = new Random(12);
    int rejected = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] bytes = Arrays.copyOf(header, 10 + 1 + random.nextInt(64));
      for (int b = 10; b < bytes.length; b++) {
        bytes[b] = (byte) random.nextInt(256);
      }
      try {
        codec.decode(bytes);
      } catch (RecordDecodeException e) {
        assertTrue(e.reason().startsWith("malformed record body"), e.reason());
        rejected++;
      }
    }
    assertTrue(rejected > 19_000, rejected + " rejected");
    // an id of a length just under Avro's own 2 GB limit: refused without allocating it
    byte[] huge = Arrays.copyOf(header, 15);
    long zigzag = 2_000_000_000L << 1;
    for (int b = 10; b < 15; b++) {
      huge[b] = (byte) ((zigzag & 0x7f) | (b < 14 ? 0x80 : 0));
      zigzag >>>= 7;
    }
    var e = assertThrows(RecordDecodeException.class, () -> codec.decode(huge));
    assertTrue(e.reason().startsWith("malformed record body"), e.reason());
  }

  @Test
  void recordsWrittenWithARegisteredOlderSchemaAreResolved() throws Exception {
    // An imagined earlier Sentence without attributes, as an old producer would have written it.
    Schema older =
        new Schema.Parser()
            .parse(
                """
        {"type":"record","name":"Sentence","namespace":"io.twinstream.records","fields":[
          {"name":"id","type":"string"},{"name":"text","type":"string"},
          {"name":"eventTime","type":{"type":"long","logicalType":"timestamp-millis"}}]}""");
    GenericRecord old = new GenericData.Record(older);
    old.put("id", "old-1");
    old.put("text", "from an old producer");
    old.put("eventTime", 5L);
    byte[] bytes =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), older).encode(old).array();

    var plain = AvroCodec.of(Sentence.class);
    assertThrows(RecordDecodeException.class, () -> plain.decode(bytes));

    Sentence decoded = plain.withWriterSchema(older).decode(bytes);
    assertEquals("old-1", decoded.getId());
    assertEquals(Map.of(), decoded.getAttributes());
    assertEquals(Instant.ofEpochMilli(5), decoded.getEventTime());
  }

  @Test
  void encodingARecordWithAMissingRequiredFieldNamesTheProblem() {
    Sentence incomplete = new Sentence();
    incomplete.setId("x");
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> AvroCodec.of(Sentence.class).encode(incomplete));
    assertTrue(e.getMessage().startsWith("Cannot encode Sentence record"), e.getMessage());
  }
}
