package io.twinstream.encoder;

/**
 * A cheap estimate of a text's tokens, for sizing batches before the tokenizer runs: about four
 * characters a token (English WordPiece averages 4–5), plus the two special tokens, at most the
 * model's sequence length. Never used for the tokens a record reports: those come from the
 * tokenizer.
 */
public final class TokenEstimate {

  private TokenEstimate() {}

  /**
   * @param text the text to embed
   * @param maxSequenceLength the model's maximum sequence length (longer texts are truncated)
   * @return the estimated tokens the encoder will process for {@code text}, at least 2
   */
  public static int of(String text, int maxSequenceLength) {
    return Math.min(maxSequenceLength, text.length() / 4 + 2);
  }
}
