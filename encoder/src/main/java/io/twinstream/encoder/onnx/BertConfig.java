package io.twinstream.encoder.onnx;

/**
 * The shape of a BERT-family encoder, as read from its ONNX graph.
 *
 * @param layers transformer layers
 * @param hidden hidden size (the token vector length)
 * @param heads attention heads per layer
 * @param intermediate feed-forward inner size
 * @param maxPositions position embeddings, i.e. the longest sequence the model takes
 * @param vocab vocabulary size
 * @param typeVocab token type (segment) vocabulary size
 * @param layerNormEpsilon epsilon of the layer normalisations
 */
public record BertConfig(
    int layers,
    int hidden,
    int heads,
    int intermediate,
    int maxPositions,
    int vocab,
    int typeVocab,
    float layerNormEpsilon) {

  public BertConfig {
    if (layers < 1
        || hidden < 1
        || heads < 1
        || intermediate < 1
        || maxPositions < 1
        || vocab < 1) {
      throw new IllegalArgumentException("invalid BERT configuration " + this);
    }
    if (hidden % heads != 0) {
      throw new IllegalArgumentException(
          "hidden size " + hidden + " is not a multiple of " + heads + " heads");
    }
  }

  /** Size of one attention head. */
  public int headSize() {
    return hidden / heads;
  }

  /** Parameters outside the embedding tables (the ones every token multiplies through). */
  public long nonEmbeddingParameters() {
    long perLayer =
        4L * hidden * hidden
            + 4L * hidden // q, k, v, out
            + 2L * hidden * intermediate
            + intermediate
            + hidden // feed-forward
            + 4L * hidden; // two layer norms
    return layers * perLayer;
  }
}
