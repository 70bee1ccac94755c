package io.twinstream.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The DJL twin encoder computes what ONNX Runtime computes from the same bundle. */
class TwinEncoderParityTest {

  private static final List<String> TEXTS =
      List.of(
          "A man is playing a guitar.",
          "A woman is slicing an onion on a wooden board in the kitchen.",
          "ok",
          "The stock market fell sharply on Tuesday after the central bank raised interest rates again, "
              + "surprising analysts who had expected a pause.",
          "A very long text that the model must truncate. ".repeat(60));

  private static ModelBundle bundle;
  private static TwinEncoder twin;

  @BeforeAll
  static void load() throws Exception {
    bundle = ModelBundle.builtin(ModelBundle.DEFAULT);
    twin = TwinEncoder.load(bundle);
  }

  @AfterAll
  static void close() {
    twin.close();
  }

  @Test
  void theConfigurationIsReadFromTheGraph() {
    assertEquals(6, twin.config().layers());
    assertEquals(384, twin.config().hidden());
    assertEquals(12, twin.config().heads());
    assertEquals(1536, twin.config().intermediate());
  }

  @Test
  void lastHiddenStateMatchesOnnxRuntimeWithin1e4() throws Exception {
    ByteBuffer model = bundle.modelBuffer();
    byte[] onnx = new byte[model.remaining()];
    model.get(onnx);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (NDManager m = twin.manager().newSubManager();
        OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions())) {
      TwinEncoder.TokenBatch batch = twin.tokenize(m, TEXTS);
      float[] djl = twin.lastHiddenState(m, batch).toFloatArray();
      long[] shape = batch.ids().getShape().getShape();
      long[] ids = batch.ids().toLongArray();
      long[] types = batch.typeIds().toLongArray();
      float[] maskF = batch.mask().toFloatArray();
      long[] mask = new long[maskF.length];
      for (int i = 0; i < mask.length; i++) {
        mask[i] = (long) maskF[i];
      }
      Map<String, OnnxTensor> inputs = new HashMap<>();
      try {
        for (String name : session.getInputNames()) {
          long[] data = name.contains("mask") ? mask : name.contains("type") ? types : ids;
          inputs.put(name, OnnxTensor.createTensor(env, LongBuffer.wrap(data), shape));
        }
        try (OrtSession.Result result = session.run(inputs)) {
          float[][][] ort = (float[][][]) result.get(0).getValue();
          int width = (int) shape[1];
          int hidden = twin.config().hidden();
          double worst = 0;
          int compared = 0;
          for (int i = 0; i < TEXTS.size(); i++) {
            for (int j = 0; j < width; j++) {
              if (mask[i * width + j] == 0) {
                continue; // padding positions are not part of the contract
              }
              for (int d = 0; d < hidden; d++) {
                worst = Math.max(worst, Math.abs(ort[i][j][d] - djl[(i * width + j) * hidden + d]));
                compared++;
              }
            }
          }
          assertTrue(compared > 100_000, "compared " + compared);
          assertTrue(worst <= 1e-4, "largest difference in the last hidden state: " + worst);
        }
      } finally {
        inputs.values().forEach(OnnxTensor::close);
      }
    }
  }

  @Test
  void sentenceVectorsMatchTheServingEncoderWithin1e5() throws Exception {
    float[][] djl = twin.encode(TEXTS);
    try (SentenceEncoder encoder = SentenceEncoder.open(bundle)) {
      float[][] served =
          encoder.encode(TEXTS).stream().map(e -> e.vector()).toArray(float[][]::new);
      for (int i = 0; i < TEXTS.size(); i++) {
        double worst = 0;
        for (int d = 0; d < served[i].length; d++) {
          worst = Math.max(worst, Math.abs(served[i][d] - djl[i][d]));
        }
        assertTrue(worst <= 1e-5, "text " + i + ": largest difference " + worst);
      }
    }
  }

  @Test
  void batchingDoesNotChangeAVector() {
    float[][] alone = twin.encode(List.of(TEXTS.get(0)));
    float[][] together = twin.encode(TEXTS);
    for (int d = 0; d < alone[0].length; d++) {
      assertEquals(alone[0][d], together[0][d], 1e-5f);
    }
    try (NDManager m = twin.manager().newSubManager()) {
      NDArray v = twin.embed(m, twin.tokenize(m, TEXTS));
      float[] norms = v.norm(new int[] {1}).toFloatArray();
      for (float n : norms) {
        assertEquals(1f, n, 1e-5f);
      }
    }
  }
}
