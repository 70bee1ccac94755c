package io.twinstream.schemas;

import io.twinstream.records.DeadLetter;
import io.twinstream.records.Embedding;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Interaction;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.records.VersionLifecycle;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * Every Twinstream record type, and decoding of a message whose type is known only by its
 * fingerprint.
 */
public final class Records {

  /** The record classes, in documentation order. */
  public static final List<Class<? extends SpecificRecord>> TYPES =
      List.of(
          Sentence.class,
          Embedding.class,
          FeedbackPair.class,
          Interaction.class,
          ModelUpdate.class,
          DeadLetter.class,
          VersionLifecycle.class);

  private static final List<AvroCodec<? extends SpecificRecord>> CODECS =
      TYPES.stream().<AvroCodec<? extends SpecificRecord>>map(AvroCodec::of).toList();

  private Records() {}

  /**
   * Decodes a single-object-encoded message of any Twinstream record type.
   *
   * @throws RecordDecodeException when the bytes are not such a message, saying why
   */
  public static SpecificRecord decodeAny(byte[] bytes) throws RecordDecodeException {
    RecordDecodeException last = null;
    for (AvroCodec<? extends SpecificRecord> codec : CODECS) {
      try {
        return codec.decode(bytes);
      } catch (RecordDecodeException e) {
        if (!e.reason().startsWith("written with an unknown schema")) {
          throw new RecordDecodeException("Twinstream record", e.reason(), e);
        }
        last = e;
      }
    }
    throw new RecordDecodeException(
        "Twinstream record",
        "its schema fingerprint matches no Twinstream record type "
            + "("
            + (last == null ? "" : last.reason())
            + ")",
        last);
  }
}
