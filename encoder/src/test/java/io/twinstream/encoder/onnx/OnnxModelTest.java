package io.twinstream.encoder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OnnxModelTest {

  private static byte[] fp32;
  private static byte[] int8;

  @BeforeAll
  static void read() throws Exception {
    try (InputStream a =
            OnnxModelTest.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx");
        InputStream b =
            OnnxModelTest.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-q.onnx")) {
      fp32 = a.readAllBytes();
      int8 = b.readAllBytes();
    }
  }

  @Test
  void anUneditedModelIsWrittenBackByteForByte() {
    assertArrayEquals(fp32, OnnxModel.parse(fp32).toByteArray());
    assertArrayEquals(int8, OnnxModel.parse(int8).toByteArray());
  }

  @Test
  void graphInterfaceIsRead() {
    OnnxModel model = OnnxModel.parse(fp32);
    assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), model.inputNames());
    assertEquals(List.of("last_hidden_state"), model.outputNames());
    assertEquals(Map.of("", 11L), model.opsets());
  }

  @Test
  void bertWeightsAreFoundUnderHuggingFaceNames() throws Exception {
    BertWeights w = BertWeights.extract(OnnxModel.parse(fp32));
    assertEquals(new BertConfig(6, 384, 12, 1536, 512, 30522, 2, 1e-12f), w.config());
    // 5 embedding tensors + 6 layers x (6 linears x 2 + 2 norms x 2)
    assertEquals(5 + 6 * 16, w.tensors().size());
    // Anonymous MatMul weights are mapped through the graph's nodes.
    assertEquals(
        "onnx::MatMul_787", w.onnxNames().get("encoder.layer.0.attention.self.query.weight"));
    assertEquals("onnx::MatMul_864", w.onnxNames().get("encoder.layer.5.output.dense.weight"));
    assertArrayEquals(new long[] {1536, 384}, w.get("encoder.layer.5.output.dense.weight").dims());
    long counted =
        w.tensors().entrySet().stream()
            .filter(e -> e.getKey().startsWith("encoder."))
            .mapToLong(e -> e.getValue().size())
            .sum();
    assertEquals(counted, w.config().nonEmbeddingParameters());
    assertEquals(10_646_784L, counted);
  }

  @Test
  void quantisedWeightsAreNotReadAsFloatBert() {
    var e =
        assertThrows(
            UnsupportedGraphException.class, () -> BertWeights.extract(OnnxModel.parse(int8)));
    assertTrue(
        e.getMessage().contains("no initializer") || e.getMessage().contains("not a float"),
        e.getMessage());
  }

  @Test
  void truncatedBytesAreAMalformedMessage() {
    byte[] cut = Arrays.copyOf(fp32, 1000);
    assertThrows(MalformedProtoException.class, () -> OnnxModel.parse(cut).initializers());
  }

  @Test
  void columnSumsSubtractTheWeightZeroPoint() {
    GraphTensor w =
        GraphTensor.of("w", GraphTensor.INT8, new long[] {2, 3}, new byte[] {1, -2, 3, 4, 5, -6});
    GraphTensor zp = GraphTensor.of("zp", GraphTensor.INT8, new long[] {3}, new byte[] {0, 1, -1});
    assertArrayEquals(new int[] {5, 3 - 2, -3 + 2}, PerSequenceQuantization.columnSums(w, zp));
  }
}
