package io.twinstream.encoder.onnx;

import java.util.List;
import java.util.Objects;

/** A node ({@code NodeProto}) of an ONNX graph: a view over the message, edits go to it. */
public final class GraphNode {

  static final int INPUT = 1;
  static final int OUTPUT = 2;
  static final int NAME = 3;
  static final int OP_TYPE = 4;
  static final int ATTRIBUTE = 5;
  static final int DOMAIN = 7;
  // AttributeProto
  static final int ATTR_NAME = 1;
  static final int ATTR_F = 2;
  static final int ATTR_I = 3;
  static final int ATTR_S = 4;
  static final int ATTR_T = 5;
  static final int ATTR_FLOATS = 7;
  static final int ATTR_INTS = 8;
  static final int ATTR_TYPE = 20;
  static final int TYPE_FLOAT = 1;
  static final int TYPE_INT = 2;
  static final int TYPE_STRING = 3;
  static final int TYPE_TENSOR = 4;
  static final int TYPE_INTS = 7;

  private final ProtoMessage proto;

  GraphNode(ProtoMessage proto) {
    this.proto = Objects.requireNonNull(proto);
  }

  /** A new node. */
  public static GraphNode of(
      String opType, String domain, String name, List<String> inputs, List<String> outputs) {
    ProtoMessage m = new ProtoMessage();
    inputs.forEach(i -> m.addString(INPUT, i));
    outputs.forEach(o -> m.addString(OUTPUT, o));
    m.addString(NAME, name);
    m.addString(OP_TYPE, opType);
    if (!domain.isEmpty()) {
      m.addString(DOMAIN, domain);
    }
    return new GraphNode(m);
  }

  ProtoMessage proto() {
    return proto;
  }

  public String opType() {
    return proto.string(OP_TYPE);
  }

  public String name() {
    return proto.string(NAME);
  }

  /**
   * The operator's domain ({@code ""} = ONNX, {@code com.microsoft} = ONNX Runtime contrib ops).
   */
  public String domain() {
    return proto.string(DOMAIN);
  }

  public List<String> inputs() {
    return proto.strings(INPUT);
  }

  public List<String> outputs() {
    return proto.strings(OUTPUT);
  }

  /** Input {@code i}, or {@code ""} when absent. */
  public String input(int i) {
    List<String> in = inputs();
    return i < in.size() ? in.get(i) : "";
  }

  public String output(int i) {
    return outputs().get(i);
  }

  /** Replaces the inputs. */
  public GraphNode setInputs(List<String> inputs) {
    proto.clear(INPUT);
    inputs.forEach(i -> proto.addString(INPUT, i));
    return this;
  }

  /** Replaces the outputs. */
  public GraphNode setOutputs(List<String> outputs) {
    proto.clear(OUTPUT);
    outputs.forEach(o -> proto.addString(OUTPUT, o));
    return this;
  }

  private ProtoMessage attribute(String name) {
    for (ProtoMessage a : proto.messages(ATTRIBUTE)) {
      if (a.string(ATTR_NAME).equals(name)) {
        return a;
      }
    }
    return null;
  }

  public boolean hasAttribute(String name) {
    return attribute(name) != null;
  }

  public long intAttribute(String name, long dflt) {
    ProtoMessage a = attribute(name);
    return a == null ? dflt : a.varint(ATTR_I, dflt);
  }

  public float floatAttribute(String name, float dflt) {
    ProtoMessage a = attribute(name);
    return a == null ? dflt : a.float32(ATTR_F, dflt);
  }

  public List<Long> intsAttribute(String name) {
    ProtoMessage a = attribute(name);
    return a == null ? List.of() : a.longs(ATTR_INTS);
  }

  public String stringAttribute(String name, String dflt) {
    ProtoMessage a = attribute(name);
    return a == null ? dflt : a.string(ATTR_S);
  }

  /**
   * The tensor value of a {@code Constant} node's {@code value} attribute (or another tensor
   * attribute).
   */
  public GraphTensor tensorAttribute(String name) {
    ProtoMessage a = attribute(name);
    return a == null || a.message(ATTR_T) == null ? null : new GraphTensor(a.message(ATTR_T));
  }

  public GraphNode withInt(String name, long value) {
    proto.addMessage(
        ATTRIBUTE,
        new ProtoMessage()
            .addString(ATTR_NAME, name)
            .addVarint(ATTR_I, value)
            .addVarint(ATTR_TYPE, TYPE_INT));
    return this;
  }

  public GraphNode withFloat(String name, float value) {
    proto.addMessage(
        ATTRIBUTE,
        new ProtoMessage()
            .addString(ATTR_NAME, name)
            .addFloat32(ATTR_F, value)
            .addVarint(ATTR_TYPE, TYPE_FLOAT));
    return this;
  }

  public GraphNode withInts(String name, List<Long> values) {
    ProtoMessage a = new ProtoMessage().addString(ATTR_NAME, name);
    for (long v : values) {
      a.addVarint(ATTR_INTS, v);
    }
    a.addVarint(ATTR_TYPE, TYPE_INTS);
    proto.addMessage(ATTRIBUTE, a);
    return this;
  }

  public GraphNode withTensor(String name, GraphTensor value) {
    proto.addMessage(
        ATTRIBUTE,
        new ProtoMessage()
            .addString(ATTR_NAME, name)
            .addMessage(ATTR_T, value.proto())
            .addVarint(ATTR_TYPE, TYPE_TENSOR));
    return this;
  }

  @Override
  public String toString() {
    return opType()
        + (domain().isEmpty() ? "" : "@" + domain())
        + " '"
        + name()
        + "' "
        + inputs()
        + " -> "
        + outputs();
  }
}
