package io.twinstream.encoder.onnx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a BERT-family sentence encoder found in its ONNX graph, under Hugging Face
 * parameter names ({@code encoder.layer.0.attention.self.query.weight}...).
 *
 * <p>Exporters keep the names of embeddings, biases and layer norms but often store the linear
 * layers' weights as anonymous initializers ({@code onnx::MatMul_787}, in {@code [in, out]}
 * layout). Those are found through the graph: the Add node that consumes {@code <linear>.bias}
 * takes the output of the MatMul whose second input is the weight. Linear weights here keep the
 * ONNX {@code [in, out]} layout; Hugging Face checkpoints store the transpose.
 */
public final class BertWeights {

  /** The linear layers of one transformer layer, by Hugging Face module path. */
  public static final List<String> LINEARS =
      List.of(
          "attention.self.query",
          "attention.self.key",
          "attention.self.value",
          "attention.output.dense",
          "intermediate.dense",
          "output.dense");

  private final BertConfig config;
  private final String prefix;
  private final Map<String, GraphTensor> tensors;
  private final Map<String, String> onnxNames;

  private BertWeights(
      BertConfig config,
      String prefix,
      Map<String, GraphTensor> tensors,
      Map<String, String> onnxNames) {
    this.config = config;
    this.prefix = prefix;
    this.tensors = Collections.unmodifiableMap(tensors);
    this.onnxNames = Collections.unmodifiableMap(onnxNames);
  }

  /** The model's shape. */
  public BertConfig config() {
    return config;
  }

  /** Tensors by Hugging Face name, in a stable order (embeddings, then layer by layer). */
  public Map<String, GraphTensor> tensors() {
    return tensors;
  }

  /** The ONNX initializer name of each Hugging Face parameter. */
  public Map<String, String> onnxNames() {
    return onnxNames;
  }

  /**
   * The name prefix the exporter put before {@code embeddings.}/{@code encoder.} ("" or e.g.
   * "bert.").
   */
  public String prefix() {
    return prefix;
  }

  /** The tensor of Hugging Face parameter {@code name}. */
  public GraphTensor get(String name) {
    GraphTensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no parameter " + name);
    }
    return t;
  }

  /**
   * Finds the weights of a float BERT encoder in {@code model}.
   *
   * @throws UnsupportedGraphException if a parameter cannot be found; the message names it
   */
  public static BertWeights extract(OnnxModel model) throws UnsupportedGraphException {
    Map<String, GraphTensor> inits = model.initializers();
    String prefix = null;
    for (String name : inits.keySet()) {
      if (name.endsWith("embeddings.word_embeddings.weight")) {
        prefix = name.substring(0, name.length() - "embeddings.word_embeddings.weight".length());
      }
    }
    if (prefix == null) {
      throw new UnsupportedGraphException(
          "no initializer named *embeddings.word_embeddings.weight: "
              + "not a BERT-family export with named embeddings");
    }
    List<GraphNode> nodes = model.nodes();
    Map<String, GraphNode> producer = new HashMap<>();
    Map<String, List<GraphNode>> consumers = new HashMap<>();
    for (GraphNode n : nodes) {
      n.outputs().forEach(o -> producer.put(o, n));
      for (String in : n.inputs()) {
        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
      }
    }
    Map<String, GraphTensor> out = new LinkedHashMap<>();
    Map<String, String> onnxNames = new LinkedHashMap<>();
    for (String name :
        List.of(
            "embeddings.word_embeddings.weight",
            "embeddings.position_embeddings.weight",
            "embeddings.token_type_embeddings.weight",
            "embeddings.LayerNorm.weight",
            "embeddings.LayerNorm.bias")) {
      put(out, onnxNames, name, prefix + name, inits);
    }
    int layers = 0;
    while (inits.containsKey(prefix + "encoder.layer." + layers + ".attention.self.query.bias")) {
      layers++;
    }
    if (layers == 0) {
      throw new UnsupportedGraphException(
          "no initializer " + prefix + "encoder.layer.0.attention.self.query.bias");
    }
    for (int l = 0; l < layers; l++) {
      String layer = "encoder.layer." + l + ".";
      for (String linear : LINEARS) {
        String bias = prefix + layer + linear + ".bias";
        String weightName = prefix + layer + linear + ".weight";
        String weight =
            inits.containsKey(weightName)
                ? weightName
                : matMulWeight(bias, consumers, producer, inits);
        GraphTensor w = inits.get(weight);
        if (w.dataType() != GraphTensor.FLOAT) {
          throw new UnsupportedGraphException(
              weight
                  + " is not a float tensor (type "
                  + w.dataType()
                  + "): quantised models are not read here");
        }
        put(out, onnxNames, layer + linear + ".weight", weight, inits);
        put(out, onnxNames, layer + linear + ".bias", bias, inits);
      }
      for (String norm : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
        put(out, onnxNames, layer + norm + ".weight", prefix + layer + norm + ".weight", inits);
        put(out, onnxNames, layer + norm + ".bias", prefix + layer + norm + ".bias", inits);
      }
    }
    GraphTensor word = out.get("embeddings.word_embeddings.weight");
    GraphTensor pos = out.get("embeddings.position_embeddings.weight");
    GraphTensor type = out.get("embeddings.token_type_embeddings.weight");
    int hidden = (int) word.dims()[1];
    int intermediate = (int) out.get("encoder.layer.0.intermediate.dense.weight").dims()[1];
    int heads = heads(prefix, nodes, consumers, producer, inits, hidden);
    float eps = epsilon(prefix + "embeddings.LayerNorm.weight", consumers, producer, inits, nodes);
    requireExactGelu(nodes);
    BertConfig config;
    try {
      config =
          new BertConfig(
              layers,
              hidden,
              heads,
              intermediate,
              (int) pos.dims()[0],
              (int) word.dims()[0],
              (int) type.dims()[0],
              eps);
    } catch (IllegalArgumentException e) {
      throw new UnsupportedGraphException(e.getMessage());
    }
    return new BertWeights(config, prefix, out, onnxNames);
  }

  private static void put(
      Map<String, GraphTensor> out,
      Map<String, String> onnxNames,
      String hfName,
      String onnxName,
      Map<String, GraphTensor> inits)
      throws UnsupportedGraphException {
    GraphTensor t = inits.get(onnxName);
    if (t == null) {
      throw new UnsupportedGraphException(
          "no initializer " + onnxName + " (parameter " + hfName + ")");
    }
    out.put(hfName, t);
    onnxNames.put(hfName, onnxName);
  }

  /** The weight of the MatMul whose output is added to {@code bias}. */
  private static String matMulWeight(
      String bias,
      Map<String, List<GraphNode>> consumers,
      Map<String, GraphNode> producer,
      Map<String, GraphTensor> inits)
      throws UnsupportedGraphException {
    for (GraphNode add : consumers.getOrDefault(bias, List.of())) {
      if (!add.opType().equals("Add")) {
        continue;
      }
      String other = add.input(0).equals(bias) ? add.input(1) : add.input(0);
      GraphNode matMul = producer.get(other);
      if (matMul != null
          && matMul.opType().equals("MatMul")
          && inits.containsKey(matMul.input(1))) {
        return matMul.input(1);
      }
    }
    throw new UnsupportedGraphException("cannot find the MatMul weight that goes with " + bias);
  }

  /**
   * Heads from the Reshape of the query to [batch, seq, heads, head size]; else from the score
   * scale.
   */
  private static int heads(
      String prefix,
      List<GraphNode> nodes,
      Map<String, List<GraphNode>> consumers,
      Map<String, GraphNode> producer,
      Map<String, GraphTensor> inits,
      int hidden)
      throws UnsupportedGraphException {
    String bias = prefix + "encoder.layer.0.attention.self.query.bias";
    for (GraphNode add : consumers.getOrDefault(bias, List.of())) {
      for (GraphNode reshape : consumers.getOrDefault(add.output(0), List.of())) {
        if (!reshape.opType().equals("Reshape")) {
          continue;
        }
        long[] shape = constantLongs(reshape.input(1), producer, inits);
        if (shape != null && shape.length == 4 && shape[2] > 0) {
          return (int) shape[2];
        }
        GraphNode concat = producer.get(reshape.input(1));
        if (concat != null && concat.opType().equals("Concat") && concat.inputs().size() == 4) {
          long[] heads = constantLongs(concat.input(2), producer, inits);
          if (heads != null && heads.length == 1 && heads[0] > 0) {
            return (int) heads[0];
          }
        }
      }
    }
    throw new UnsupportedGraphException(
        "cannot find the number of attention heads (no Reshape of the query to "
            + "[batch, sequence, heads, head size] with a constant head count)");
  }

  private static long[] constantLongs(
      String name, Map<String, GraphNode> producer, Map<String, GraphTensor> inits) {
    GraphTensor t = inits.get(name);
    if (t == null) {
      GraphNode p = producer.get(name);
      if (p != null && p.opType().equals("Constant")) {
        t = p.tensorAttribute("value");
      }
    }
    return t != null && t.dataType() == GraphTensor.INT64 ? t.longs() : null;
  }

  /**
   * Epsilon of the embedding layer norm: an attribute when fused, else the constant added to the
   * variance.
   */
  private static float epsilon(
      String gamma,
      Map<String, List<GraphNode>> consumers,
      Map<String, GraphNode> producer,
      Map<String, GraphTensor> inits,
      List<GraphNode> nodes) {
    for (GraphNode n : consumers.getOrDefault(gamma, List.of())) {
      if (n.opType().equals("LayerNormalization")) {
        return n.floatAttribute("epsilon", 1e-5f);
      }
      if (n.opType().equals("Mul")) {
        GraphNode div = producer.get(n.input(0).equals(gamma) ? n.input(1) : n.input(0));
        GraphNode sqrt = div == null ? null : producer.get(div.input(1));
        GraphNode add = sqrt == null ? null : producer.get(sqrt.input(0));
        if (add != null && add.opType().equals("Add")) {
          for (String in : add.inputs()) {
            GraphNode c = producer.get(in);
            GraphTensor t =
                c != null && c.opType().equals("Constant")
                    ? c.tensorAttribute("value")
                    : inits.get(in);
            if (t != null && t.dataType() == GraphTensor.FLOAT && t.size() == 1) {
              return t.floats()[0];
            }
          }
        }
      }
    }
    return 1e-12f;
  }

  private static void requireExactGelu(List<GraphNode> nodes) throws UnsupportedGraphException {
    boolean erf =
        nodes.stream()
            .anyMatch(
                n ->
                    n.opType().equals("Erf")
                        || n.opType().equals("Gelu")
                        || n.opType().equals("BiasGelu"));
    if (!erf) {
      throw new UnsupportedGraphException(
          "the feed-forward activation is not the exact (erf) GELU");
    }
  }
}
