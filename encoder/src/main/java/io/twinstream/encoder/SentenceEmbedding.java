package io.twinstream.encoder;

import java.util.Arrays;

/**
 * One text's embedding.
 *
 * @param vector the sentence vector (unit length when the bundle normalises)
 * @param truncated whether the text had more tokens than the model's maximum sequence length
 * @param tokens the text's token count, special tokens included, before truncation
 */
public record SentenceEmbedding(float[] vector, boolean truncated, int tokens) {

  @Override
  public boolean equals(Object o) {
    return o instanceof SentenceEmbedding other
        && truncated == other.truncated
        && tokens == other.tokens
        && Arrays.equals(vector, other.vector);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(vector) + Boolean.hashCode(truncated)) + tokens;
  }

  @Override
  public String toString() {
    return "SentenceEmbedding[dim="
        + vector.length
        + ", truncated="
        + truncated
        + ", tokens="
        + tokens
        + "]";
  }
}
