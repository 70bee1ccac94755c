package io.twinstream.encoder.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds an inference graph for a BERT encoder out of ONNX Runtime's fused CPU operators: one
 * {@code EmbedLayerNormalization}, then per layer {@code Attention} (query, key and value in one
 * matrix product), {@code MatMul}, {@code SkipLayerNormalization}, {@code MatMul}, {@code
 * BiasGelu}, {@code MatMul}, {@code SkipLayerNormalization}. It computes the same function as the
 * exported graph (exact GELU, same epsilon), with far fewer passes over memory.
 *
 * <p>Inputs and output keep the names of a Hugging Face export: {@code input_ids}, {@code
 * attention_mask}, {@code token_type_ids} (int64, {@code [batch, sequence]}, padding on the right)
 * and {@code last_hidden_state} ({@code [batch, sequence, hidden]}).
 */
public final class FusedBertGraph {

  private static final String MS = "com.microsoft";

  private FusedBertGraph() {}

  /** Name of the upper part's hidden-state input ({@link #upper}). */
  public static final String HIDDEN_INPUT = "hidden_in";

  /** Name of the lower part's output ({@link #lower}). */
  public static final String HIDDEN_OUTPUT = "hidden_out";

  /** The fused model for {@code weights}, as ONNX bytes. */
  public static byte[] build(BertWeights weights) {
    OnnxModel model = newModel();
    List<GraphNode> nodes = new ArrayList<>();
    int layers = weights.config().layers();
    String x = embeddings(weights, model, nodes, layers == 0 ? "last_hidden_state" : "hidden_0");
    for (int l = 0; l < layers; l++) {
      x = layer(weights, model, nodes, l, x, l == layers - 1 ? "last_hidden_state" : null);
    }
    model.addGraphValue(
        false,
        "last_hidden_state",
        GraphTensor.FLOAT,
        "batch",
        "sequence",
        weights.config().hidden());
    model.setNodes(nodes);
    return model.toByteArray();
  }

  /**
   * The embeddings and the {@code layers} lowest transformer layers: the same inputs as {@link
   * #build}, output {@value #HIDDEN_OUTPUT} ({@code [batch, sequence, hidden]}), the hidden state
   * that layer {@code layers} takes. With {@link #upper} at the same split it computes what {@link
   * #build} does.
   *
   * @throws IllegalArgumentException unless {@code 0 < layers < } the model's layers
   */
  public static byte[] lower(BertWeights weights, int layers) {
    requireSplit(weights, layers);
    OnnxModel model = newModel();
    List<GraphNode> nodes = new ArrayList<>();
    String x = embeddings(weights, model, nodes, "hidden_0");
    for (int l = 0; l < layers; l++) {
      x = layer(weights, model, nodes, l, x, l == layers - 1 ? HIDDEN_OUTPUT : null);
    }
    model.addGraphValue(
        false, HIDDEN_OUTPUT, GraphTensor.FLOAT, "batch", "sequence", weights.config().hidden());
    model.setNodes(nodes);
    return model.toByteArray();
  }

  /**
   * The transformer layers from {@code from} up: inputs {@value #HIDDEN_INPUT} (float, {@code
   * [batch, sequence, hidden]}, what {@link #lower} gives at the same split) and {@code
   * attention_mask} (int64, {@code [batch, sequence]}, padding on the right), output {@code
   * last_hidden_state}.
   *
   * @throws IllegalArgumentException unless {@code 0 < from < } the model's layers
   */
  public static byte[] upper(BertWeights weights, int from) {
    requireSplit(weights, from);
    BertConfig c = weights.config();
    OnnxModel model = newModel();
    List<GraphNode> nodes = new ArrayList<>();
    model.addGraphValue(true, HIDDEN_INPUT, GraphTensor.FLOAT, "batch", "sequence", c.hidden());
    model.addGraphValue(true, "attention_mask", GraphTensor.INT64, "batch", "sequence");
    // The mask index EmbedLayerNormalization gives the full graph: each row's token count.
    nodes.add(
        GraphNode.of("Cast", "", "cast_attention_mask", List.of("attention_mask"), List.of("m32"))
            .withInt("to", GraphTensor.INT32));
    model.addInitializer(GraphTensor.ofLongs("sum_axes", new long[] {1}, new long[] {1}));
    nodes.add(
        GraphNode.of(
                "ReduceSum", "", "mask_index", List.of("m32", "sum_axes"), List.of("mask_index"))
            .withInt("keepdims", 0));
    String x = HIDDEN_INPUT;
    for (int l = from; l < c.layers(); l++) {
      x = layer(weights, model, nodes, l, x, l == c.layers() - 1 ? "last_hidden_state" : null);
    }
    model.addGraphValue(
        false, "last_hidden_state", GraphTensor.FLOAT, "batch", "sequence", c.hidden());
    model.setNodes(nodes);
    return model.toByteArray();
  }

  private static void requireSplit(BertWeights weights, int split) {
    if (split <= 0 || split >= weights.config().layers()) {
      throw new IllegalArgumentException(
          "a split must leave layers on both sides: got "
              + split
              + " of "
              + weights.config().layers()
              + " layers");
    }
  }

  private static OnnxModel newModel() {
    return OnnxModel.create("twinstream-fused-bert", 8, Map.of("", 13L, MS, 1L));
  }

  /** Casts the int64 inputs and adds the embedding layer; returns its output's name. */
  private static String embeddings(
      BertWeights weights, OnnxModel model, List<GraphNode> nodes, String output) {
    BertConfig c = weights.config();
    model.addGraphValue(true, "input_ids", GraphTensor.INT64, "batch", "sequence");
    model.addGraphValue(true, "attention_mask", GraphTensor.INT64, "batch", "sequence");
    model.addGraphValue(true, "token_type_ids", GraphTensor.INT64, "batch", "sequence");
    for (String in : List.of("input_ids", "attention_mask", "token_type_ids")) {
      nodes.add(
          GraphNode.of("Cast", "", "cast_" + in, List.of(in), List.of(in + "_i32"))
              .withInt("to", GraphTensor.INT32));
    }
    String[] emb = {
      "embeddings.word_embeddings.weight",
      "embeddings.position_embeddings.weight",
      "embeddings.token_type_embeddings.weight",
      "embeddings.LayerNorm.weight",
      "embeddings.LayerNorm.bias"
    };
    for (String e : emb) {
      model.addInitializer(copy(weights.get(e), e));
    }
    nodes.add(
        GraphNode.of(
                "EmbedLayerNormalization",
                MS,
                "embeddings",
                List.of(
                    "input_ids_i32",
                    "token_type_ids_i32",
                    emb[0],
                    emb[1],
                    emb[2],
                    emb[3],
                    emb[4],
                    "attention_mask_i32"),
                List.of(output, "mask_index"))
            .withFloat("epsilon", c.layerNormEpsilon()));
    return output;
  }

  /**
   * Adds transformer layer {@code l} on input {@code x}; returns its output's name ({@code output},
   * or {@code hidden_<l+1>} when null).
   */
  private static String layer(
      BertWeights weights, OnnxModel model, List<GraphNode> nodes, int l, String x, String output) {
    BertConfig c = weights.config();
    String p = "encoder.layer." + l + ".";
    String qkvW = p + "attention.qkv.weight";
    String qkvB = p + "attention.qkv.bias";
    model.addInitializer(
        concatColumns(
            qkvW,
            c.hidden(),
            weights.get(p + "attention.self.query.weight"),
            weights.get(p + "attention.self.key.weight"),
            weights.get(p + "attention.self.value.weight")));
    model.addInitializer(
        concatVectors(
            qkvB,
            weights.get(p + "attention.self.query.bias"),
            weights.get(p + "attention.self.key.bias"),
            weights.get(p + "attention.self.value.bias")));
    for (String name :
        List.of(
            "attention.output.dense.weight",
            "attention.output.dense.bias",
            "attention.output.LayerNorm.weight",
            "attention.output.LayerNorm.bias",
            "intermediate.dense.weight",
            "intermediate.dense.bias",
            "output.dense.weight",
            "output.dense.bias",
            "output.LayerNorm.weight",
            "output.LayerNorm.bias")) {
      model.addInitializer(copy(weights.get(p + name), p + name));
    }
    String attn = p + "attention_out";
    nodes.add(
        GraphNode.of(
                "Attention",
                MS,
                p + "attention",
                List.of(x, qkvW, qkvB, "mask_index"),
                List.of(attn))
            .withInt("num_heads", c.heads()));
    nodes.add(
        GraphNode.of(
            "MatMul",
            "",
            p + "attention.output.dense",
            List.of(attn, p + "attention.output.dense.weight"),
            List.of(p + "attention_proj")));
    String x1 = p + "attention_norm";
    nodes.add(
        GraphNode.of(
                "SkipLayerNormalization",
                MS,
                p + "attention.output.LayerNorm",
                List.of(
                    p + "attention_proj",
                    x,
                    p + "attention.output.LayerNorm.weight",
                    p + "attention.output.LayerNorm.bias",
                    p + "attention.output.dense.bias"),
                List.of(x1))
            .withFloat("epsilon", c.layerNormEpsilon()));
    nodes.add(
        GraphNode.of(
            "MatMul",
            "",
            p + "intermediate.dense",
            List.of(x1, p + "intermediate.dense.weight"),
            List.of(p + "intermediate_mm")));
    nodes.add(
        GraphNode.of(
            "BiasGelu",
            MS,
            p + "intermediate.act",
            List.of(p + "intermediate_mm", p + "intermediate.dense.bias"),
            List.of(p + "intermediate_act")));
    nodes.add(
        GraphNode.of(
            "MatMul",
            "",
            p + "output.dense",
            List.of(p + "intermediate_act", p + "output.dense.weight"),
            List.of(p + "output_mm")));
    String next = output != null ? output : "hidden_" + (l + 1);
    nodes.add(
        GraphNode.of(
                "SkipLayerNormalization",
                MS,
                p + "output.LayerNorm",
                List.of(
                    p + "output_mm",
                    x1,
                    p + "output.LayerNorm.weight",
                    p + "output.LayerNorm.bias",
                    p + "output.dense.bias"),
                List.of(next))
            .withFloat("epsilon", c.layerNormEpsilon()));
    return next;
  }

  private static GraphTensor copy(GraphTensor t, String name) {
    return GraphTensor.of(name, t.dataType(), t.dims(), t.rawData());
  }

  /** [in, out] matrices side by side: row r of the result is row r of each, concatenated. */
  private static GraphTensor concatColumns(String name, int in, GraphTensor... parts) {
    int total = 0;
    for (GraphTensor t : parts) {
      total += (int) t.dims()[1];
    }
    ByteBuffer out = ByteBuffer.allocate(in * total * 4).order(ByteOrder.LITTLE_ENDIAN);
    float[][] data = new float[parts.length][];
    for (int i = 0; i < parts.length; i++) {
      data[i] = parts[i].floats();
    }
    for (int r = 0; r < in; r++) {
      for (int i = 0; i < parts.length; i++) {
        int cols = (int) parts[i].dims()[1];
        for (int col = 0; col < cols; col++) {
          out.putFloat(data[i][r * cols + col]);
        }
      }
    }
    return GraphTensor.of(name, GraphTensor.FLOAT, new long[] {in, total}, out.array());
  }

  private static GraphTensor concatVectors(String name, GraphTensor... parts) {
    int total = 0;
    for (GraphTensor t : parts) {
      total += (int) t.size();
    }
    ByteBuffer out = ByteBuffer.allocate(total * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (GraphTensor t : parts) {
      out.put(t.rawData());
    }
    return GraphTensor.of(name, GraphTensor.FLOAT, new long[] {total}, out.array());
  }
}
