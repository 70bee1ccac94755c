package io.twinstream.schemas.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.records.ModelStatus;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.schemas.ModelUpdateKeys;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The model-updates decoder: only its registry's serving changes, and it travels serialized. */
class ModelUpdateDecodingTest {

  private static final Instant NOW = Instant.ofEpochMilli(7);

  private static ModelUpdate update(String version, ModelStatus status) {
    return ModelUpdate.newBuilder()
        .setVersion(version)
        .setParentVersion(null)
        .setUri("file:/r/" + version)
        .setSha256("")
        .setStatus(status)
        .setMetrics(Map.of())
        .setCreatedAt(NOW)
        .setReason("r")
        .build();
  }

  private static RawRecord raw(String key, byte[] value) {
    return new RawRecord(
        "model-updates", 0, 3, 0, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
  }

  private static RawRecord keyed(String registry, ModelUpdate u) {
    return raw(ModelUpdateKeys.of(registry, u), AvroCodec.of(ModelUpdate.class).encode(u));
  }

  @Test
  void onlyTheServingChangesOfItsOwnRegistryAreDecoded() {
    RecordDecoder<ModelUpdate> decoder = RecordDecoders.modelUpdates("default");
    ModelUpdate promoted = update("v2", ModelStatus.PROMOTED);
    assertEquals(promoted, decoder.decode(keyed("default", promoted), NOW).value());
    assertTrue(
        decoder.decode(keyed("other", promoted), NOW).isSkipped(), "another registry's update");
    assertTrue(
        decoder.decode(keyed("default", update("v3", ModelStatus.REJECTED)), NOW).isSkipped(),
        "a rejection changes nothing that serves");
    assertTrue(decoder.decode(raw(null, new byte[] {1}), NOW).isSkipped(), "no key: nobody's");
    ModelUpdate served = update("v2", ModelStatus.FULLY_SERVED);
    assertEquals(
        served,
        decoder.decode(keyed("default", served), NOW).value(),
        "a finished backfill stops dual writing");
  }

  @Test
  void anUndecodableUpdateOfItsRegistryIsADeadLetterOfItsStage() {
    Decoded<ModelUpdate> d =
        RecordDecoders.modelUpdates("default").decode(raw("default", new byte[] {1, 2}), NOW);
    assertNull(d.value());
    assertEquals("decode-model-update", d.deadLetter().getStage());
    assertTrue(
        d.deadLetter().getError().contains("Cannot decode ModelUpdate"), d.deadLetter().getError());
  }

  @Test
  void rejectionsAreKeyedPerVersionAndServingChangesByRegistry() {
    assertEquals("default", ModelUpdateKeys.of("default", update("v2", ModelStatus.ROLLED_BACK)));
    assertEquals("default/v3", ModelUpdateKeys.of("default", update("v3", ModelStatus.REJECTED)));
    assertEquals(
        "default/served", ModelUpdateKeys.of("default", update("v2", ModelStatus.FULLY_SERVED)));
    assertTrue(ModelUpdateKeys.belongsTo("default/v3".getBytes(StandardCharsets.UTF_8), "default"));
    assertTrue(!ModelUpdateKeys.belongsTo("defaults".getBytes(StandardCharsets.UTF_8), "default"));
  }

  @Test
  void aDecoderSurvivesJavaSerializationWithItsChecksAndKeyFilter() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(RecordDecoders.modelUpdates("default"));
    }
    RecordDecoder<?> back;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      back = (RecordDecoder<?>) in.readObject();
    }
    assertTrue(back.decode(keyed("other", update("v2", ModelStatus.PROMOTED)), NOW).isSkipped());
    assertEquals(
        "v2",
        ((ModelUpdate)
                back.decode(keyed("default", update("v2", ModelStatus.PROMOTED)), NOW).value())
            .getVersion());
  }
}
