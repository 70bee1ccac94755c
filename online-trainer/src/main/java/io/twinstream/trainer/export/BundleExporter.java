package io.twinstream.trainer.export;

import ai.djl.ndarray.NDArray;
import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.onnx.BertWeights;
import io.twinstream.encoder.onnx.GraphTensor;
import io.twinstream.encoder.onnx.OnnxModel;
import io.twinstream.encoder.onnx.UnsupportedGraphException;
import io.twinstream.trainer.TwinEncoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes a fine-tuned encoder as a new model bundle: the parent's ONNX graph with every trained
 * initializer replaced (the protobuf is rewritten, nothing else in it changes, so ONNX Runtime and
 * other ONNX tools load it as they loaded the parent), the parent's tokenizer, and a manifest
 * naming the parent version, the training configuration and the evaluation metrics.
 */
public final class BundleExporter {

  private final Clock clock;

  public BundleExporter() {
    this(Clock.systemUTC());
  }

  BundleExporter(Clock clock) {
    this.clock = clock;
  }

  /**
   * The bundle of {@code trained}, derived from {@code parent}.
   *
   * @param parent the bundle the encoder was loaded from (its graph and tokenizer are reused)
   * @param version the new bundle's version
   * @param training training configuration to record (loss, options, data)
   * @param metrics evaluation metrics to record
   * @throws UnsupportedGraphException if the parent's graph has no float BERT weights to replace
   * @throws IllegalStateException if a trained parameter does not fit the parent's initializer, or
   *     is not finite
   */
  public ModelBundle export(
      ModelBundle parent,
      TwinEncoder trained,
      String version,
      Map<String, Object> training,
      Map<String, Double> metrics)
      throws UnsupportedGraphException {
    ByteBuffer buffer = parent.modelBuffer();
    byte[] onnx = new byte[buffer.remaining()];
    buffer.get(onnx);
    OnnxModel model = OnnxModel.parse(onnx);
    BertWeights weights = BertWeights.extract(model);
    Map<String, GraphTensor> initializers = model.initializers();
    for (Map.Entry<String, NDArray> e : trained.parameters().entrySet()) {
      String onnxName = weights.onnxNames().get(e.getKey());
      GraphTensor target = onnxName == null ? null : initializers.get(onnxName);
      if (target == null) {
        throw new IllegalStateException(
            "parameter " + e.getKey() + " has no initializer in " + parent.location());
      }
      long[] shape = e.getValue().getShape().getShape();
      if (!Arrays.equals(shape, target.dims())) {
        throw new IllegalStateException(
            "parameter "
                + e.getKey()
                + " has shape "
                + Arrays.toString(shape)
                + " but initializer "
                + onnxName
                + " has "
                + Arrays.toString(target.dims()));
      }
      target.setRawData(littleEndian(e.getKey(), e.getValue().toFloatArray()));
    }
    BundleManifest p = parent.manifest();
    BundleManifest manifest =
        new BundleManifest(
            BundleManifest.FORMAT,
            version,
            p.version(),
            p.dimension(),
            p.pooling(),
            p.normalize(),
            trained.maxLength(),
            p.files(),
            clock.instant(),
            "fine-tuned from " + p.version() + " by twinstream",
            training,
            metrics);
    ByteBuffer tokenizer = parent.tokenizerBuffer();
    byte[] tokenizerBytes = new byte[tokenizer.remaining()];
    tokenizer.get(tokenizerBytes);
    return ModelBundle.of(manifest, model.toByteArray(), tokenizerBytes, "exported:" + version);
  }

  static byte[] littleEndian(String name, float[] values) {
    requireFinite(name, values);
    ByteBuffer out = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    out.asFloatBuffer().put(values);
    return out.array();
  }

  static void requireFinite(String name, float[] values) {
    for (float v : values) {
      if (!Float.isFinite(v)) {
        throw new IllegalStateException(
            "parameter " + name + " holds a non-finite value; not exported");
      }
    }
  }
}
