package io.twinstream.schemas.decode;

import io.twinstream.records.FeedbackPair;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.ModelUpdateKeys;

/** The decoders of Twinstream's input topics, with the rules each record must follow. */
public final class RecordDecoders {

  /** Dead-letter stage of {@code sentences}. */
  public static final String SENTENCES_STAGE = "decode";

  /** Dead-letter stage of {@code feedback-pairs}. */
  public static final String FEEDBACK_STAGE = "decode-feedback";

  /** Dead-letter stage of {@code model-updates}. */
  public static final String MODEL_UPDATES_STAGE = "decode-model-update";

  private RecordDecoders() {}

  /** {@code sentences}: a {@link Sentence} with a non-empty id and a text that is not blank. */
  public static RecordDecoder<Sentence> sentences() {
    return RecordDecoder.of(Sentence.class, SENTENCES_STAGE)
        .check(
            (s, raw) ->
                s.getText().isBlank()
                    ? "Sentence " + s.getId() + " has an empty or whitespace-only text"
                    : null)
        .check((s, raw) -> s.getId().isEmpty() ? "Sentence has an empty id" : null);
  }

  /**
   * {@code feedback-pairs}: a {@link FeedbackPair} with an anchor, a candidate and a label in [0,
   * 1].
   */
  public static RecordDecoder<FeedbackPair> feedbackPairs() {
    return RecordDecoder.of(FeedbackPair.class, FEEDBACK_STAGE)
        .check(
            (p, raw) ->
                p.getAnchor().isBlank()
                    ? "FeedbackPair at " + raw.position() + " has an empty anchor"
                    : null)
        .check(
            (p, raw) ->
                p.getCandidate().isBlank()
                    ? "FeedbackPair at " + raw.position() + " has an empty candidate"
                    : null)
        .check(
            (p, raw) ->
                p.getLabel() >= 0f && p.getLabel() <= 1f
                    ? null
                    : "FeedbackPair at "
                        + raw.position()
                        + " has label "
                        + p.getLabel()
                        + " outside [0, 1]");
  }

  /**
   * {@code model-updates}: the updates that change what registry {@code registryName} serves
   * (record key = the registry's name, see {@link ModelUpdateKeys}); other registries' records and
   * the registry's own REJECTED announcements are skipped.
   */
  public static RecordDecoder<ModelUpdate> modelUpdates(String registryName) {
    return RecordDecoder.of(ModelUpdate.class, MODEL_UPDATES_STAGE)
        .onlyKeys(key -> ModelUpdateKeys.isServingKey(key, registryName));
  }
}
