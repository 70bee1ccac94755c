package io.twinstream.encoder;

import io.twinstream.encoder.onnx.BertWeights;
import io.twinstream.encoder.onnx.FusedBertGraph;
import io.twinstream.encoder.onnx.GraphTensor;
import io.twinstream.encoder.onnx.MalformedProtoException;
import io.twinstream.encoder.onnx.OnnxModel;
import io.twinstream.encoder.onnx.PerSequenceQuantization;
import io.twinstream.encoder.onnx.UnsupportedGraphException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the ONNX graph a bundle is served with: the fused BERT graph when it applies, else the
 * file as is.
 */
final class ModelGraphs {

  private static final Logger LOG = LoggerFactory.getLogger(ModelGraphs.class);

  private ModelGraphs() {}

  /**
   * A graph to serve, and the longest sequence its position table takes (0 when the graph does not
   * say: then only running it tells).
   */
  record ServingGraph(byte[] bytes, int maxPositions, int vocabulary) {}

  /**
   * The graph to serve.
   *
   * @throws UnsupportedGraphException if the model quantises activations dynamically in a way that
   *     cannot be made per sequence (its batched results would depend on the batch)
   */
  static ServingGraph servingGraph(ModelBundle bundle, EncoderOptions options)
      throws UnsupportedGraphException {
    OnnxModel model;
    try {
      model = OnnxModel.parse(bundle.modelBytes());
    } catch (MalformedProtoException e) {
      // ONNX Runtime will say what is wrong with the file
      return new ServingGraph(bundle.modelBytes(), 0, 0);
    }
    int positions = rows(model, POSITIONS);
    int vocabulary = rows(model, WORDS);
    if (PerSequenceQuantization.applies(model)) {
      PerSequenceQuantization.rewrite(model, "attention_mask");
      LOG.debug("Serving {} with per-sequence dynamic quantisation", bundle.version());
      return new ServingGraph(model.toByteArray(), positions, vocabulary);
    }
    if (!options.fuseGraph()) {
      return new ServingGraph(bundle.modelBytes(), positions, vocabulary);
    }
    try {
      BertWeights weights = BertWeights.extract(model);
      byte[] fused = FusedBertGraph.build(weights);
      LOG.debug("Serving {} with the fused BERT graph ({})", bundle.version(), weights.config());
      return new ServingGraph(fused, positions, vocabulary);
    } catch (UnsupportedGraphException e) {
      LOG.debug("Serving {} with its own graph: {}", bundle.version(), e.getMessage());
      return new ServingGraph(bundle.modelBytes(), positions, vocabulary);
    }
  }

  /**
   * Rows of a BERT embedding table, or 0 when the graph has none by that name; a quantised graph
   * keeps the table under the name with a suffix ({@code …weight_quantized}).
   */
  static int rows(OnnxModel model, String table) {
    GraphTensor t = model.initializers().get(table);
    if (t == null) {
      for (var e : model.initializers().entrySet()) {
        long[] d = e.getValue().dims();
        // weight_quantized, not weight_scale or weight_zero_point (scalars)
        if (e.getKey().startsWith(table + "_") && d != null && d.length == 2) {
          t = e.getValue();
          break;
        }
      }
    }
    long[] dims = t == null ? null : t.dims();
    return dims != null && dims.length == 2 && dims[0] > 0 && dims[0] <= Integer.MAX_VALUE
        ? (int) dims[0]
        : 0;
  }

  /**
   * The initializer of BERT's position embeddings (Hugging Face's name, kept by the ONNX export).
   */
  static final String POSITIONS = "embeddings.position_embeddings.weight";

  /** The initializer of BERT's word embeddings: one row per token id. */
  static final String WORDS = "embeddings.word_embeddings.weight";
}
