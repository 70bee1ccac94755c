package io.twinstream.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import io.twinstream.encoder.BundleWriter;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.SentenceTransformersImporter;
import io.twinstream.trainer.data.TrainingFile;
import io.twinstream.trainer.eval.Evaluation;
import io.twinstream.trainer.eval.SimilarityEvaluator;
import io.twinstream.trainer.export.BundleExporter;
import io.twinstream.trainer.export.HuggingFaceExporter;
import io.twinstream.trainer.export.Safetensors;
import io.twinstream.trainer.loss.CoSentLoss;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short fine-tuning run on the STS benchmark pairs shipped in data/, then export: the trained
 * model must lower the training loss, keep dev Spearman within a point, and survive export
 * unchanged.
 */
class StsFineTuningTest {

  private static final List<String> PROBES =
      List.of(
          "A man is playing a guitar.",
          "Two dogs run across a snowy field.",
          "The central bank raised interest rates again on Tuesday.");

  private static ModelBundle base;
  private static FineTuner tuner;
  private static List<TrainingExample> train;
  private static SimilarityEvaluator dev;
  private static FineTuner.Result result;
  private static double lossBefore;
  private static double lossAfter;
  private static Evaluation devBefore;
  private static Evaluation devAfter;
  private static ModelBundle exported;

  @BeforeAll
  static void trainOnce() throws Exception {
    base = ModelBundle.builtin(ModelBundle.DEFAULT);
    train = TrainingFile.read(Path.of("../data/stsb-ccbysa/train.tsv")).examples().subList(0, 320);
    List<TrainingExample> devPairs =
        TrainingFile.read(Path.of("../data/stsb-ccbysa/dev.tsv")).examples();
    dev =
        new SimilarityEvaluator(
            devPairs.stream().map(TrainingExample::anchor).toList(),
            devPairs.stream().map(TrainingExample::positive).toList(),
            devPairs.stream().mapToDouble(TrainingExample::label).toArray());
    tuner =
        new FineTuner(new CoSentLoss(), TrainingOptions.defaults().withBatchSize(16).withEpochs(1));
    try (TwinEncoder before = TwinEncoder.load(base)) {
      lossBefore = tuner.meanLoss(before, train);
      devBefore = dev.evaluate(before::encode);
    }
    result = tuner.fineTune(base, train, TrainingListener.NONE);
    lossAfter = tuner.meanLoss(result.encoder(), train);
    devAfter = dev.evaluate(result.encoder()::encode);
    System.out.printf(
        "STS fine-tuning: train loss %.4f -> %.4f, dev Spearman %.4f -> %.4f, %d steps in %.1f s%n",
        lossBefore,
        lossAfter,
        devBefore.primaryValue(),
        devAfter.primaryValue(),
        result.summary().steps(),
        result.summary().seconds());
    exported =
        new BundleExporter()
            .export(
                base,
                result.encoder(),
                "sts-1",
                Map.of("loss", "cosent"),
                devAfter.prefixed("sts-dev/"));
  }

  @AfterAll
  static void close() {
    result.encoder().close();
  }

  @Test
  void aShortRunLowersTheTrainingLossAndKeepsDevSpearmanWithinAPoint() {
    assertEquals(20, result.summary().steps());
    assertTrue(lossAfter < lossBefore - 0.05, "training loss " + lossBefore + " -> " + lossAfter);
    double before = devBefore.primaryValue();
    double after = devAfter.primaryValue();
    assertTrue(before > 0.8, "base model dev Spearman " + before);
    assertTrue(after >= before - 0.01, "dev Spearman " + before + " -> " + after);
  }

  @Test
  void theExportedBundleServedByTheEncoderCoreGivesTheTrainedVectors() throws Exception {
    assertEquals(base.version(), exported.manifest().parentVersion());
    assertEquals(
        devAfter.primaryValue(), exported.manifest().metrics().get("sts-dev/spearman"), 1e-12);
    assertEquals("cosent", exported.manifest().training().get("loss"));
    float[][] trained = result.encoder().encode(PROBES);
    try (SentenceEncoder served =
            SentenceEncoder.open(exported, EncoderOptions.defaults().withThreads(2));
        SentenceEncoder original =
            SentenceEncoder.open(base, EncoderOptions.defaults().withThreads(2))) {
      float[][] vectors = served.embed(PROBES);
      float[][] old = original.embed(PROBES);
      double moved = 0;
      for (int i = 0; i < PROBES.size(); i++) {
        assertArrayEquals(trained[i], vectors[i], 1e-5f, PROBES.get(i));
        for (int j = 0; j < old[i].length; j++) {
          moved = Math.max(moved, Math.abs(old[i][j] - vectors[i][j]));
        }
      }
      assertTrue(moved > 1e-3, "the exported model differs from its parent: " + moved);
    }
  }

  @Test
  void aBundleRoundTripsThroughExportAndImportWithByteIdenticalWeights(@TempDir Path dir)
      throws Exception {
    BundleWriter.write(exported, dir.resolve("bundle"));
    try (TwinEncoder reloaded = TwinEncoder.load(ModelBundle.load(dir.resolve("bundle")))) {
      for (Map.Entry<String, NDArray> e : result.encoder().parameters().entrySet()) {
        assertArrayEquals(
            bits(e.getValue().toFloatArray()),
            bits(reloaded.parameters().get(e.getKey()).toFloatArray()),
            e.getKey());
      }
    }
    // The Hugging Face folder: safetensors hold the same weights (linear ones transposed), and
    // importing the
    // folder again yields the same ONNX model.
    Path hf = dir.resolve("hf");
    HuggingFaceExporter.export(result.encoder(), exported, hf);
    Map<String, Safetensors.Tensor> tensors = Safetensors.read(hf.resolve("model.safetensors"));
    assertEquals(result.encoder().parameters().keySet(), tensors.keySet());
    NDArray query =
        result.encoder().parameters().get("encoder.layer.0.attention.self.query.weight");
    float[] stored = tensors.get("encoder.layer.0.attention.self.query.weight").values();
    float[] inOut = query.toFloatArray();
    int in = (int) query.getShape().get(0);
    int out = (int) query.getShape().get(1);
    assertArrayEquals(
        new long[] {out, in}, tensors.get("encoder.layer.0.attention.self.query.weight").shape());
    for (int i = 0; i < in; i++) {
      for (int o = 0; o < out; o++) {
        assertEquals(
            Float.floatToRawIntBits(inOut[i * out + o]),
            Float.floatToRawIntBits(stored[o * in + i]));
      }
    }
    assertArrayEquals(
        bits(result.encoder().parameters().get("embeddings.word_embeddings.weight").toFloatArray()),
        bits(tensors.get("embeddings.word_embeddings.weight").values()));
    ModelBundle imported = new SentenceTransformersImporter().read(hf, "reimported");
    assertArrayEquals(bytes(exported.modelBuffer()), bytes(imported.modelBuffer()));
    assertEquals(exported.manifest().pooling(), imported.manifest().pooling());
    assertEquals(exported.manifest().maxSequenceLength(), imported.manifest().maxSequenceLength());
    assertTrue(Files.isDirectory(hf.resolve("2_Normalize")));
  }

  private static int[] bits(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Float.floatToRawIntBits(values[i]);
    }
    return out;
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    return out;
  }
}
