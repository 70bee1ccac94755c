package io.twinstream.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.twinstream.encoder.onnx.GraphNode;
import io.twinstream.encoder.onnx.GraphTensor;
import io.twinstream.encoder.onnx.OnnxModel;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * The machine's single-precision matrix-multiply ceiling as ONNX Runtime (MLAS) reaches it: an
 * {@code M x K} activation times a constant {@code K x N} matrix, each benchmark thread with its
 * own single-threaded session, so that {@code matmul2} (two threads) measures two cores working
 * without synchronisation — the way the encoder runs its batches. Shapes: a large square one and
 * the encoder's three products at batch 32 x 16 tokens. GFLOP/s = ops/s x 2MKN / 1e9; the report
 * takes the best shape.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MatMulBenchmark {

  /** {@code MxKxN}. */
  @Param({"1024x1024x1024", "512x384x1536", "512x384x384", "512x1536x384"})
  public String shape;

  private OrtSession session;
  private OnnxTensor input;

  @Setup(Level.Trial)
  public void open() throws OrtException {
    int[] mkn = dims(shape);
    int m = mkn[0];
    int k = mkn[1];
    int n = mkn[2];
    Random random = new Random(1);
    OnnxModel model = OnnxModel.create("matmul", 8, Map.of("", 13L));
    model.addGraphValue(true, "A", GraphTensor.FLOAT, m, k);
    model.addGraphValue(false, "C", GraphTensor.FLOAT, m, n);
    float[] b = new float[k * n];
    float[] a = new float[m * k];
    for (int i = 0; i < b.length; i++) {
      b[i] = random.nextFloat() - 0.5f;
    }
    for (int i = 0; i < a.length; i++) {
      a[i] = random.nextFloat() - 0.5f;
    }
    model.addInitializer(GraphTensor.ofFloats("B", new long[] {k, n}, b));
    model.setNodes(List.of(GraphNode.of("MatMul", "", "matmul", List.of("A", "B"), List.of("C"))));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      session = env.createSession(model.toByteArray(), options);
    }
    input = OnnxTensor.createTensor(env, FloatBuffer.wrap(a), new long[] {m, k});
  }

  @TearDown(Level.Trial)
  public void close() throws OrtException {
    input.close();
    session.close();
  }

  /** One core. */
  @Benchmark
  @Threads(1)
  public float matmul1() throws OrtException {
    return run();
  }

  /** Two cores, one independent product each; the score is the sum over both threads. */
  @Benchmark
  @Threads(2)
  public float matmul2() throws OrtException {
    return run();
  }

  private float run() throws OrtException {
    try (OrtSession.Result r = session.run(Map.of("A", input))) {
      return ((OnnxTensor) r.get(0)).getFloatBuffer().get(0);
    }
  }

  static int[] dims(String shape) {
    String[] p = shape.split("x");
    return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])};
  }

  /** FLOPs of one product of the given shape. */
  public static double flops(String shape) {
    int[] d = dims(shape);
    return 2.0 * d[0] * d[1] * d[2];
  }
}
