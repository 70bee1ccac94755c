package io.twinstream.encoder.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites a dynamically quantised transformer so that each sequence of a batch is quantised on its
 * own, as if it had been run alone.
 *
 * <p>{@code DynamicQuantizeLinear} picks one scale and zero point for the whole tensor it sees. In
 * a padded batch that tensor holds every sequence, so a text's vector would depend on its
 * neighbours (and on the padding). Here each {@code DynamicQuantizeLinear} on a {@code [batch,
 * sequence, features]} activation is replaced by the same arithmetic per batch row, over the real
 * tokens only:
 *
 * <ul>
 *   <li>padding rows are zeroed with the attention mask, which leaves the range unchanged because
 *       {@code DynamicQuantizeLinear}'s range always includes 0;
 *   <li>{@code ReduceMin}/{@code ReduceMax} over the sequence and feature axes give per-row ranges,
 *       from which scale and zero point follow with the operator's own formulas;
 *   <li>a per-axis {@code QuantizeLinear} (axis 0) quantises each row with its own parameters;
 *   <li>each consuming {@code MatMulInteger} runs without the activation zero point, and the exact
 *       integer correction {@code zero_point[b] * colsum(W - w_zero_point)} is subtracted from its
 *       int32 result.
 * </ul>
 *
 * The integer results are identical to running each sequence alone.
 */
public final class PerSequenceQuantization {

  private static final String MS = "com.microsoft";

  private PerSequenceQuantization() {}

  /**
   * Whether the graph quantises activations dynamically (and so needs this rewrite to batch
   * exactly).
   */
  public static boolean applies(OnnxModel model) {
    return model.nodes().stream().anyMatch(n -> n.opType().equals("DynamicQuantizeLinear"));
  }

  /**
   * Rewrites {@code model} in place.
   *
   * @param maskInput the graph input holding the attention mask ({@code [batch, sequence]}, 1 =
   *     real token)
   * @throws UnsupportedGraphException if a quantised activation is consumed by anything but {@code
   *     MatMulInteger} (as input A) or a scale {@code Mul}
   */
  public static void rewrite(OnnxModel model, String maskInput) throws UnsupportedGraphException {
    List<GraphNode> nodes = model.nodes();
    Map<String, GraphTensor> inits = model.initializers();
    Map<String, List<GraphNode>> consumers = new HashMap<>();
    for (GraphNode n : nodes) {
      for (String in : n.inputs()) {
        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
      }
    }
    List<GraphNode> out = new ArrayList<>();
    String mask3 = "twinstream/mask3";
    out.add(
        GraphNode.of(
                "Cast",
                "",
                "twinstream/mask_float",
                List.of(maskInput),
                List.of("twinstream/mask_float"))
            .withInt("to", GraphTensor.FLOAT));
    out.add(
        GraphNode.of(
                "Unsqueeze",
                "",
                "twinstream/mask3",
                List.of("twinstream/mask_float"),
                List.of(mask3))
            .withInts("axes", List.of(2L)));
    model.addInitializer(GraphTensor.ofFloats("twinstream/zero", new long[0], new float[] {0f}));
    model.addInitializer(GraphTensor.ofFloats("twinstream/one", new long[0], new float[] {1f}));
    model.addInitializer(GraphTensor.ofFloats("twinstream/qmax", new long[0], new float[] {255f}));
    model.addInitializer(GraphTensor.ofLongs("twinstream/flat", new long[] {1}, new long[] {-1}));
    model.importOpset(MS, 1);

    // MatMulInteger nodes to replace, by their (unique) output name; filled when their input is
    // quantised,
    // which comes first in topological order.
    Map<String, List<GraphNode>> replaced = new HashMap<>();
    int index = 0;
    for (GraphNode node : nodes) {
      if (!node.opType().equals("DynamicQuantizeLinear")) {
        List<GraphNode> replacement =
            node.outputs().isEmpty() ? null : replaced.get(node.output(0));
        if (replacement != null) {
          out.addAll(replacement);
        } else {
          out.add(node);
        }
        continue;
      }
      String p = "twinstream/q" + (index++) + "/";
      String x = node.input(0);
      String xq = node.output(0);
      String xs = node.output(1);
      String xzp = node.output(2);
      for (GraphNode c : consumers.getOrDefault(xq, List.of())) {
        if (!c.opType().equals("MatMulInteger")
            || !c.input(0).equals(xq)
            || !c.input(2).equals(xzp)) {
          throw new UnsupportedGraphException(
              "quantised activation "
                  + xq
                  + " feeds "
                  + c
                  + ", not the A input of a MatMulInteger");
        }
      }
      for (GraphNode c : consumers.getOrDefault(xzp, List.of())) {
        if (!c.opType().equals("MatMulInteger")) {
          throw new UnsupportedGraphException("zero point " + xzp + " feeds " + c);
        }
      }
      out.add(GraphNode.of("Mul", "", p + "masked", List.of(x, mask3), List.of(p + "masked")));
      out.add(
          GraphNode.of("ReduceMax", "", p + "max", List.of(p + "masked"), List.of(p + "max"))
              .withInts("axes", List.of(1L, 2L))
              .withInt("keepdims", 1));
      out.add(
          GraphNode.of("ReduceMin", "", p + "min", List.of(p + "masked"), List.of(p + "min"))
              .withInts("axes", List.of(1L, 2L))
              .withInt("keepdims", 1));
      out.add(
          GraphNode.of(
              "Max", "", p + "hi", List.of(p + "max", "twinstream/zero"), List.of(p + "hi")));
      out.add(
          GraphNode.of(
              "Min", "", p + "lo", List.of(p + "min", "twinstream/zero"), List.of(p + "lo")));
      out.add(
          GraphNode.of("Sub", "", p + "range", List.of(p + "hi", p + "lo"), List.of(p + "range")));
      out.add(
          GraphNode.of(
              "Div",
              "",
              p + "scale_raw",
              List.of(p + "range", "twinstream/qmax"),
              List.of(p + "scale_raw")));
      // DynamicQuantizeLinear uses scale 1 when the range is empty (all zeros).
      out.add(
          GraphNode.of(
              "Equal", "", p + "empty", List.of(p + "hi", p + "lo"), List.of(p + "empty")));
      out.add(
          GraphNode.of(
              "Where",
              "",
              p + "scale",
              List.of(p + "empty", "twinstream/one", p + "scale_raw"),
              List.of(xs)));
      out.add(
          GraphNode.of(
              "Div", "", p + "lo_scaled", List.of(p + "lo", xs), List.of(p + "lo_scaled")));
      out.add(
          GraphNode.of(
              "Sub",
              "",
              p + "zp_raw",
              List.of("twinstream/zero", p + "lo_scaled"),
              List.of(p + "zp_raw")));
      out.add(
          GraphNode.of(
              "Clip",
              "",
              p + "zp_clip",
              List.of(p + "zp_raw", "twinstream/zero", "twinstream/qmax"),
              List.of(p + "zp_clip")));
      out.add(
          GraphNode.of(
              "Round", "", p + "zp_float", List.of(p + "zp_clip"), List.of(p + "zp_float")));
      out.add(
          GraphNode.of("Cast", "", p + "zp_u8", List.of(p + "zp_float"), List.of(p + "zp_u8"))
              .withInt("to", GraphTensor.UINT8));
      out.add(
          GraphNode.of("Cast", "", p + "zp_i32", List.of(p + "zp_float"), List.of(p + "zp_i32"))
              .withInt("to", GraphTensor.INT32));
      out.add(
          GraphNode.of(
              "Reshape",
              "",
              p + "scale_rows",
              List.of(xs, "twinstream/flat"),
              List.of(p + "scale_rows")));
      out.add(
          GraphNode.of(
              "Reshape",
              "",
              p + "zp_rows",
              List.of(p + "zp_u8", "twinstream/flat"),
              List.of(p + "zp_rows")));
      out.add(
          GraphNode.of(
                  "QuantizeLinear",
                  MS,
                  p + "quantize",
                  List.of(x, p + "scale_rows", p + "zp_rows"),
                  List.of(xq))
              .withInt("axis", 0));

      int m = 0;
      for (GraphNode mm : consumers.getOrDefault(xq, List.of())) {
        String corr = p + "mm" + m + "/";
        m++;
        GraphTensor w = inits.get(mm.input(1));
        GraphTensor wzp = inits.get(mm.input(3));
        if (w == null || (!mm.input(3).isEmpty() && wzp == null)) {
          throw new UnsupportedGraphException(mm + " has no constant weight and weight zero point");
        }
        model.addInitializer(
            GraphTensor.ofInts(corr + "colsum", new long[] {w.dims()[1]}, columnSums(w, wzp)));
        String acc = corr + "acc";
        GraphNode integer =
            GraphNode.of(
                "MatMulInteger",
                "",
                mm.name(),
                List.of(xq, mm.input(1), "", mm.input(3)),
                List.of(acc));
        GraphNode correction =
            GraphNode.of(
                "Mul",
                "",
                corr + "zp_colsum",
                List.of(p + "zp_i32", corr + "colsum"),
                List.of(corr + "zp_colsum"));
        GraphNode subtract =
            GraphNode.of(
                "Sub", "", corr + "sub", List.of(acc, corr + "zp_colsum"), List.of(mm.output(0)));
        replaced.put(mm.output(0), List.of(integer, correction, subtract));
      }
    }
    model.setNodes(out);
    model.clearValueInfo();
  }

  /**
   * Σ_k (W[k, n] − zp[n]) for an int8 or uint8 weight [K, N] and a scalar or per-column zero point.
   */
  static int[] columnSums(GraphTensor w, GraphTensor zp) {
    long[] dims = w.dims();
    int k = (int) dims[0];
    int n = (int) dims[1];
    byte[] raw = w.rawData();
    byte[] zpRaw = zp == null ? new byte[] {0} : zp.rawData();
    boolean signed = w.dataType() == GraphTensor.INT8;
    int[] sums = new int[n];
    for (int r = 0; r < k; r++) {
      for (int c = 0; c < n; c++) {
        byte b = raw[r * n + c];
        sums[c] += signed ? b : (b & 0xFF);
      }
    }
    for (int c = 0; c < n; c++) {
      byte z = zpRaw.length == 1 ? zpRaw[0] : zpRaw[c];
      sums[c] -= k * (signed ? z : (z & 0xFF));
    }
    return sums;
  }
}
