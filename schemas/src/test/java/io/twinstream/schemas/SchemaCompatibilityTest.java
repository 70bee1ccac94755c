package io.twinstream.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.records.DeadLetter;
import io.twinstream.records.Embedding;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Interaction;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.records.VersionLifecycle;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every record schema must stay backward compatible (new readers read old records) and forward
 * compatible (old readers read new records) with the latest released version, kept under {@code
 * src/test/resources/released/<version>/}. When a schema changes compatibly, the released copies
 * stay as they are until the next release adds a new folder and bumps {@link #LATEST_RELEASE}.
 */
class SchemaCompatibilityTest {

  static final String LATEST_RELEASE = "v1";

  static Stream<Class<?>> recordTypes() {
    return Stream.of(
        Sentence.class,
        Embedding.class,
        FeedbackPair.class,
        Interaction.class,
        ModelUpdate.class,
        DeadLetter.class,
        VersionLifecycle.class);
  }

  static Schema released(String version, String name) throws IOException {
    String path = "/released/" + version + "/" + name + ".avsc";
    try (InputStream in = SchemaCompatibilityTest.class.getResourceAsStream(path)) {
      assertNotNull(
          in,
          "no released copy of "
              + name
              + " at "
              + path
              + ": copy the schema there when it is first released");
      return new Schema.Parser().parse(in);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("recordTypes")
  void currentSchemaReadsRecordsOfTheReleasedSchema(Class<?> type) throws IOException {
    Schema current = SpecificData.get().getSchema(type);
    Schema old = released(LATEST_RELEASE, type.getSimpleName());
    var result = SchemaCompatibility.checkReaderWriterCompatibility(current, old);
    assertEquals(
        SchemaCompatibilityType.COMPATIBLE,
        result.getType(),
        () ->
            type.getSimpleName()
                + " is not backward compatible with "
                + LATEST_RELEASE
                + ": "
                + result.getResult().getIncompatibilities());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("recordTypes")
  void releasedSchemaReadsRecordsOfTheCurrentSchema(Class<?> type) throws IOException {
    Schema current = SpecificData.get().getSchema(type);
    Schema old = released(LATEST_RELEASE, type.getSimpleName());
    var result = SchemaCompatibility.checkReaderWriterCompatibility(old, current);
    assertEquals(
        SchemaCompatibilityType.COMPATIBLE,
        result.getType(),
        () ->
            type.getSimpleName()
                + " is not forward compatible with "
                + LATEST_RELEASE
                + ": "
                + result.getResult().getIncompatibilities());
  }

  @Test
  void aRequiredFieldAddedWithoutDefaultIsCaughtAsIncompatible() throws IOException {
    // Proves the check above can fail: the same kind of edit a careless change would make.
    Schema old = released(LATEST_RELEASE, "Sentence");
    String json =
        old.toString()
            .replace("\"fields\":[", "\"fields\":[{\"name\":\"language\",\"type\":\"string\"},");
    Schema changed = new Schema.Parser().parse(json);
    var backward = SchemaCompatibility.checkReaderWriterCompatibility(changed, old);
    assertEquals(SchemaCompatibilityType.INCOMPATIBLE, backward.getType());
    List<String> messages =
        backward.getResult().getIncompatibilities().stream().map(i -> i.getMessage()).toList();
    assertTrue(messages.stream().anyMatch(m -> m.contains("language")), messages::toString);
  }

  @Test
  void enumsDeclareADefaultSoOldReadersSurviveNewSymbols() {
    for (Class<?> type : recordTypes().toList()) {
      Schema schema = SpecificData.get().getSchema(type);
      for (Schema.Field field : schema.getFields()) {
        if (field.schema().getType() == Schema.Type.ENUM) {
          assertNotNull(
              field.schema().getEnumDefault(),
              type.getSimpleName() + "." + field.name() + " has no enum default");
        }
      }
    }
    assertFalse(recordTypes().toList().isEmpty());
  }
}
