package io.twinstream.schemas.decode;

import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Interaction;
import io.twinstream.records.InteractionType;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.ModelUpdateKeys;

/** The decoders of Twinstream's input topics, with the rules each record must follow. */
public final class RecordDecoders {

  /** Dead-letter stage of {@code sentences}. */
  public static final String SENTENCES_STAGE = "decode";

  /** Dead-letter stage of {@code feedback-pairs}. */
  public static final String FEEDBACK_STAGE = "decode-feedback";

  /** Dead-letter stage of {@code interactions} (the feedback joiner). */
  public static final String INTERACTIONS_STAGE = "decode-interaction";

  /** Dead-letter stage of the feedback joiner's join (orphans, late events). */
  public static final String JOIN_STAGE = "join";

  /** Dead-letter stage of {@code model-updates}. */
  public static final String MODEL_UPDATES_STAGE = "decode-model-update";

  private RecordDecoders() {}

  /** {@link #sentences(InputLimits)} with {@link InputLimits#DEFAULTS}. */
  public static RecordDecoder<Sentence> sentences() {
    return sentences(InputLimits.DEFAULTS);
  }

  /**
   * {@code sentences}: a {@link Sentence} with a non-empty id and a text that is not blank, each
   * within {@code limits}, as its attributes.
   */
  public static RecordDecoder<Sentence> sentences(InputLimits limits) {
    return RecordDecoder.of(Sentence.class, SENTENCES_STAGE)
        .check(
            (s, raw) ->
                InputLimits.over(
                    "Sentence at " + raw.position() + ": its id",
                    InputLimits.utf8Bytes(s.getId()),
                    limits.idBytes(),
                    "limits.id-bytes"))
        .check(
            (s, raw) ->
                InputLimits.over(
                    "Sentence " + s.getId() + ": its text",
                    InputLimits.utf8Bytes(s.getText()),
                    limits.textBytes(),
                    "limits.text-bytes"))
        .check(
            (s, raw) ->
                InputLimits.over(
                    "Sentence " + s.getId() + ": its attributes",
                    InputLimits.utf8Bytes(s.getAttributes()),
                    limits.attributesBytes(),
                    "limits.attributes-bytes"))
        .check(
            (s, raw) ->
                blank(s.getText())
                    ? "Sentence " + s.getId() + " has an empty or whitespace-only text"
                    : null)
        .check((s, raw) -> s.getId().isEmpty() ? "Sentence has an empty id" : null);
  }

  /**
   * {@code interactions}: an {@link Interaction} of a known type (IMPRESSION or CLICK) with a query
   * id, a query text, a document id (ids within the id limit, the query within the text limit) and
   * a rank of at least 0.
   */
  public static RecordDecoder<Interaction> interactions(InputLimits limits) {
    return RecordDecoder.of(Interaction.class, INTERACTIONS_STAGE)
        .check(
            (i, raw) ->
                i.getType() == InteractionType.IMPRESSION || i.getType() == InteractionType.CLICK
                    ? null
                    : "Interaction at " + raw.position() + " has type " + i.getType())
        .check(
            (i, raw) ->
                i.getQueryId().length() == 0 || i.getDocId().length() == 0
                    ? "Interaction at " + raw.position() + " has an empty query id or document id"
                    : null)
        .check(
            (i, raw) ->
                InputLimits.over(
                    "Interaction at " + raw.position() + ": its document id",
                    InputLimits.utf8Bytes(i.getDocId()),
                    limits.idBytes(),
                    "limits.id-bytes"))
        .check(
            (i, raw) ->
                InputLimits.over(
                    "Interaction at " + raw.position() + ": its query",
                    InputLimits.utf8Bytes(i.getQueryText()),
                    limits.textBytes(),
                    "limits.text-bytes"))
        .check(
            (i, raw) ->
                blank(i.getQueryText())
                    ? "Interaction at " + raw.position() + " has an empty query text"
                    : null)
        .check(
            (i, raw) ->
                i.getPosition() < 0
                    ? "Interaction at " + raw.position() + " has rank " + i.getPosition() + " < 0"
                    : null);
  }

  /** {@link #feedbackPairs(InputLimits)} with {@link InputLimits#DEFAULTS}. */
  public static RecordDecoder<FeedbackPair> feedbackPairs() {
    return feedbackPairs(InputLimits.DEFAULTS);
  }

  /**
   * {@code feedback-pairs}: a {@link FeedbackPair} with an anchor, a candidate (each within the
   * text limit) and a label in [0, 1].
   */
  public static RecordDecoder<FeedbackPair> feedbackPairs(InputLimits limits) {
    return RecordDecoder.of(FeedbackPair.class, FEEDBACK_STAGE)
        .check(
            (p, raw) ->
                InputLimits.over(
                    "FeedbackPair at " + raw.position() + ": its anchor",
                    InputLimits.utf8Bytes(p.getAnchor()),
                    limits.textBytes(),
                    "limits.text-bytes"))
        .check(
            (p, raw) ->
                InputLimits.over(
                    "FeedbackPair at " + raw.position() + ": its candidate",
                    InputLimits.utf8Bytes(p.getCandidate()),
                    limits.textBytes(),
                    "limits.text-bytes"))
        .check(
            (p, raw) ->
                blank(p.getAnchor())
                    ? "FeedbackPair at " + raw.position() + " has an empty anchor"
                    : null)
        .check(
            (p, raw) ->
                blank(p.getCandidate())
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
   * (record key = the registry's name) and its FULLY_SERVED announcements (key {@code NAME/served},
   * see {@link ModelUpdateKeys}); other registries' records and the registry's own REJECTED
   * announcements are skipped.
   */
  public static RecordDecoder<ModelUpdate> modelUpdates(String registryName) {
    return RecordDecoder.of(ModelUpdate.class, MODEL_UPDATES_STAGE)
        .onlyKeys(key -> ModelUpdateKeys.isEmbedderKey(key, registryName));
  }

  /**
   * Whether {@code text} has nothing to embed: only white space of any kind (including no-break
   * spaces, which {@link String#isBlank} keeps), invisible format characters (zero-width spaces and
   * joiners, byte-order marks) and control characters. The tokenizer drops all of them, so such a
   * text would be embedded as an empty one.
   */
  public static boolean blank(CharSequence text) {
    for (int i = 0; i < text.length(); ) {
      int c = Character.codePointAt(text, i);
      int type = Character.getType(c);
      boolean invisible =
          Character.isWhitespace(c)
              || Character.isSpaceChar(c)
              || type == Character.FORMAT
              || type == Character.CONTROL;
      if (!invisible) {
        return false;
      }
      i += Character.charCount(c);
    }
    return true;
  }
}
