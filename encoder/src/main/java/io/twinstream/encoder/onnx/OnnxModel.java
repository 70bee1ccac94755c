package io.twinstream.encoder.onnx;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model ({@code ModelProto}) opened for reading and editing the parts Twinstream needs:
 * nodes, initializers, opset imports, graph inputs and outputs. Everything else in the file is
 * carried through unchanged. Field numbers follow the ONNX specification ({@code onnx/onnx.proto}).
 */
public final class OnnxModel {

  // ModelProto
  static final int MODEL_IR_VERSION = 1;
  static final int MODEL_GRAPH = 7;
  static final int MODEL_OPSET_IMPORT = 8;
  // OperatorSetIdProto
  static final int OPSET_DOMAIN = 1;
  static final int OPSET_VERSION = 2;
  // GraphProto
  static final int GRAPH_NODE = 1;
  static final int GRAPH_NAME = 2;
  static final int GRAPH_INITIALIZER = 5;
  static final int GRAPH_INPUT = 11;
  static final int GRAPH_OUTPUT = 12;
  static final int GRAPH_VALUE_INFO = 13;
  // ValueInfoProto
  static final int VALUE_INFO_NAME = 1;
  static final int VALUE_INFO_TYPE = 2;

  private final ProtoMessage model;
  private final ProtoMessage graph;

  private OnnxModel(ProtoMessage model) {
    this.model = model;
    this.graph = model.message(MODEL_GRAPH);
    if (graph == null) {
      throw new MalformedProtoException("the ONNX model has no graph");
    }
  }

  /** Parses the bytes of an ONNX file. */
  public static OnnxModel parse(byte[] onnx) {
    return new OnnxModel(ProtoMessage.parse(onnx));
  }

  /** A minimal new model with one empty graph. */
  public static OnnxModel create(String graphName, long irVersion, Map<String, Long> opsets) {
    ProtoMessage model = new ProtoMessage();
    model.addVarint(MODEL_IR_VERSION, irVersion);
    opsets.forEach(
        (domain, version) ->
            model.addMessage(
                MODEL_OPSET_IMPORT,
                new ProtoMessage()
                    .addString(OPSET_DOMAIN, domain)
                    .addVarint(OPSET_VERSION, version)));
    model.addMessage(MODEL_GRAPH, new ProtoMessage().addString(GRAPH_NAME, graphName));
    return new OnnxModel(model);
  }

  /** The encoded model. */
  public byte[] toByteArray() {
    return model.toByteArray();
  }

  /** Operator set versions by domain ({@code ""} is the default ONNX domain). */
  public Map<String, Long> opsets() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (ProtoMessage m : model.messages(MODEL_OPSET_IMPORT)) {
      out.put(m.string(OPSET_DOMAIN), m.varint(OPSET_VERSION, 0));
    }
    return out;
  }

  /** Declares an operator set if the model does not import that domain yet. */
  public void importOpset(String domain, long version) {
    if (!opsets().containsKey(domain)) {
      model.addMessage(
          MODEL_OPSET_IMPORT,
          new ProtoMessage().addString(OPSET_DOMAIN, domain).addVarint(OPSET_VERSION, version));
    }
  }

  /** The graph's nodes in file order (topological for valid models), live views. */
  public List<GraphNode> nodes() {
    List<GraphNode> out = new ArrayList<>();
    for (ProtoMessage m : graph.messages(GRAPH_NODE)) {
      out.add(new GraphNode(m));
    }
    return out;
  }

  /** Replaces all nodes of the graph by {@code nodes}, in that order. */
  public void setNodes(List<GraphNode> nodes) {
    graph.clear(GRAPH_NODE);
    for (GraphNode n : nodes) {
      graph.addMessage(GRAPH_NODE, n.proto());
    }
  }

  /** Initializers by name, in file order, as live views. */
  public Map<String, GraphTensor> initializers() {
    Map<String, GraphTensor> out = new LinkedHashMap<>();
    for (ProtoMessage m : graph.messages(GRAPH_INITIALIZER)) {
      GraphTensor t = new GraphTensor(m);
      out.put(t.name(), t);
    }
    return out;
  }

  /** Adds an initializer. */
  public void addInitializer(GraphTensor tensor) {
    graph.addMessage(GRAPH_INITIALIZER, tensor.proto());
  }

  /** Removes the initializers with these names. */
  public void removeInitializers(Collection<String> names) {
    graph.removeMessages(GRAPH_INITIALIZER, m -> names.contains(m.string(GraphTensor.NAME)));
  }

  /** Names of the graph inputs (without initializers listed as inputs by old exporters). */
  public List<String> inputNames() {
    var inits = initializers().keySet();
    List<String> out = new ArrayList<>();
    for (ProtoMessage m : graph.messages(GRAPH_INPUT)) {
      String name = m.string(VALUE_INFO_NAME);
      if (!inits.contains(name)) {
        out.add(name);
      }
    }
    return out;
  }

  /** Names of the graph outputs. */
  public List<String> outputNames() {
    List<String> out = new ArrayList<>();
    for (ProtoMessage m : graph.messages(GRAPH_OUTPUT)) {
      out.add(m.string(VALUE_INFO_NAME));
    }
    return out;
  }

  /**
   * Drops graph outputs other than {@code keep} (their producing nodes stay; ONNX Runtime prunes
   * them).
   */
  public void keepOnlyOutput(String keep) {
    graph.removeMessages(GRAPH_OUTPUT, m -> !m.string(VALUE_INFO_NAME).equals(keep));
  }

  /**
   * Adds a graph input or output of a float/int tensor of the given element type and symbolic or
   * fixed dims.
   */
  public void addGraphValue(boolean input, String name, int elemType, Object... dims) {
    ProtoMessage shape = new ProtoMessage();
    for (Object d : dims) {
      ProtoMessage dim = new ProtoMessage();
      if (d instanceof Number n) {
        dim.addVarint(1, n.longValue());
      } else {
        dim.addString(2, d.toString());
      }
      shape.addMessage(1, dim);
    }
    ProtoMessage tensorType = new ProtoMessage().addVarint(1, elemType).addMessage(2, shape);
    ProtoMessage type = new ProtoMessage().addMessage(1, tensorType);
    ProtoMessage info =
        new ProtoMessage().addString(VALUE_INFO_NAME, name).addMessage(VALUE_INFO_TYPE, type);
    graph.addMessage(input ? GRAPH_INPUT : GRAPH_OUTPUT, info);
  }

  /**
   * Removes the intermediate value-info annotations (shape hints), which rewrites can make stale.
   */
  public void clearValueInfo() {
    graph.clear(GRAPH_VALUE_INFO);
  }
}
