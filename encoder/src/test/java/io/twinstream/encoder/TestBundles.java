package io.twinstream.encoder;

import io.twinstream.encoder.onnx.GraphNode;
import io.twinstream.encoder.onnx.GraphTensor;
import io.twinstream.encoder.onnx.OnnxModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Real, different models made from the built-in one, so that a swap changes the vectors. */
public final class TestBundles {

  private TestBundles() {}

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] b = new byte[buffer.remaining()];
    buffer.duplicate().get(b);
    return b;
  }

  /**
   * The base model with its embedding layer norm's scale multiplied by {@code factor}: other
   * vectors.
   */
  public static ModelBundle perturbed(ModelBundle base, String version, float factor) {
    OnnxModel model = OnnxModel.parse(bytes(base.modelBuffer()));
    GraphTensor gamma = model.initializers().get("embeddings.LayerNorm.weight");
    float[] values = gamma.floats();
    for (int i = 0; i < values.length; i++) {
      values[i] *= (i % 2 == 0) ? factor : 1 / factor;
    }
    ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(values);
    gamma.setRawData(raw.array());
    return ModelBundle.of(
        manifest(base.manifest(), version, base.manifest().dimension()),
        model.toByteArray(),
        bytes(base.tokenizerBuffer()),
        "test:" + version);
  }

  /**
   * The base model with the float initializer {@code initializer} (e.g. a layer norm's scale of one
   * transformer layer) multiplied by {@code factor}: other vectors, the same everything else.
   */
  public static ModelBundle scaled(
      ModelBundle base, String version, String initializer, float factor) {
    OnnxModel model = OnnxModel.parse(bytes(base.modelBuffer()));
    GraphTensor t = model.initializers().get(initializer);
    if (t == null) {
      throw new IllegalArgumentException(base.location() + " has no initializer " + initializer);
    }
    float[] values = t.floats();
    for (int i = 0; i < values.length; i++) {
      values[i] *= factor;
    }
    ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(values);
    t.setRawData(raw.array());
    return ModelBundle.of(
        manifest(base.manifest(), version, base.manifest().dimension()),
        model.toByteArray(),
        bytes(base.tokenizerBuffer()),
        "test:" + version);
  }

  /**
   * The base model cut to the first {@code dimension} components of each token vector: another
   * dimension.
   */
  public static ModelBundle sliced(ModelBundle base, String version, int dimension) {
    OnnxModel model = OnnxModel.parse(bytes(base.modelBuffer()));
    List<GraphNode> nodes = new ArrayList<>(model.nodes());
    for (GraphNode n : nodes) {
      List<String> outs = n.outputs();
      if (outs.contains("last_hidden_state")) {
        // rename the producer's output, then slice it into last_hidden_state
        n.setOutputs(
            outs.stream()
                .map(o -> o.equals("last_hidden_state") ? "full_hidden_state" : o)
                .toList());
      }
    }
    model.addInitializer(GraphTensor.ofLongs("slice_starts", new long[] {1}, new long[] {0}));
    model.addInitializer(GraphTensor.ofLongs("slice_ends", new long[] {1}, new long[] {dimension}));
    model.addInitializer(GraphTensor.ofLongs("slice_axes", new long[] {1}, new long[] {2}));
    nodes.add(
        GraphNode.of(
            "Slice",
            "",
            "slice_hidden",
            List.of("full_hidden_state", "slice_starts", "slice_ends", "slice_axes"),
            List.of("last_hidden_state")));
    model.setNodes(nodes);
    model.clearValueInfo();
    return ModelBundle.of(
        manifest(base.manifest(), version, dimension),
        model.toByteArray(),
        bytes(base.tokenizerBuffer()),
        "test:" + version);
  }

  private static BundleManifest manifest(BundleManifest m, String version, int dimension) {
    return new BundleManifest(
        m.format(),
        version,
        m.version(),
        dimension,
        m.pooling(),
        m.normalize(),
        m.maxSequenceLength(),
        m.files(),
        m.createdAt(),
        "test variant of " + m.version(),
        Map.of(),
        Map.of());
  }
}
