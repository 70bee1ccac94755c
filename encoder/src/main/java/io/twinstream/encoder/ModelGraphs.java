package io.twinstream.encoder;

import io.twinstream.encoder.onnx.BertWeights;
import io.twinstream.encoder.onnx.FusedBertGraph;
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
   * The graph to serve.
   *
   * @throws UnsupportedGraphException if the model quantises activations dynamically in a way that
   *     cannot be made per sequence (its batched results would depend on the batch)
   */
  static byte[] servingGraph(ModelBundle bundle, EncoderOptions options)
      throws UnsupportedGraphException {
    OnnxModel model;
    try {
      model = OnnxModel.parse(bundle.modelBytes());
    } catch (MalformedProtoException e) {
      return bundle.modelBytes(); // ONNX Runtime will say what is wrong with the file
    }
    if (PerSequenceQuantization.applies(model)) {
      PerSequenceQuantization.rewrite(model, "attention_mask");
      LOG.debug("Serving {} with per-sequence dynamic quantisation", bundle.version());
      return model.toByteArray();
    }
    if (!options.fuseGraph()) {
      return bundle.modelBytes();
    }
    try {
      BertWeights weights = BertWeights.extract(model);
      byte[] fused = FusedBertGraph.build(weights);
      LOG.debug("Serving {} with the fused BERT graph ({})", bundle.version(), weights.config());
      return fused;
    } catch (UnsupportedGraphException e) {
      LOG.debug("Serving {} with its own graph: {}", bundle.version(), e.getMessage());
      return bundle.modelBytes();
    }
  }
}
