package io.twinstream.bench;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.bridge.BridgeFitter;
import io.twinstream.encoder.bridge.BridgeMethod;
import io.twinstream.encoder.bridge.QueryBridge;
import io.twinstream.encoder.bridge.VectorMap;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a query bridge costs (issue 31): mapping one 384-dimensional query (sampled latency, p99),
 * against embedding that query with the default model in the same run (the baseline: what every
 * search pays already); and fitting a bridge on 5,000 text pairs (single shots).
 *
 * <p>{@code java -jar bench/target/benchmarks.jar BridgeBenchmark}
 */
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BridgeBenchmark {

  private static final int D = 384;

  @Param({"least-squares", "procrustes", "residual"})
  public String method;

  private float[][] x;
  private float[][] y;
  private QueryBridge bridge;
  private float[] query;
  private SentenceEncoder encoder;

  @Setup
  public void setUp() throws Exception {
    Random r = new Random(42);
    int n = 5_000;
    x = new float[n][D];
    y = new float[n][D];
    int[] perm = new int[D];
    for (int i = 0; i < D; i++) {
      perm[i] = (i * 7 + 3) % D;
    }
    for (int t = 0; t < n; t++) {
      for (int i = 0; i < D; i++) {
        x[t][i] = (float) r.nextGaussian();
      }
      VectorMap.normalise(x[t]);
      for (int i = 0; i < D; i++) {
        y[t][i] = x[t][perm[i]] + 0.05f * (float) r.nextGaussian();
      }
      VectorMap.normalise(y[t]);
    }
    bridge = BridgeFitter.of(BridgeMethod.parse(method)).fit("new", "old", x, y);
    query = x[0].clone();
    encoder = SentenceEncoder.open(ModelBundle.builtin(ModelBundle.DEFAULT));
  }

  @TearDown
  public void tearDown() {
    encoder.close();
  }

  /** Mapping one query into the old version's space. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public float[] apply() {
    return bridge.apply(query);
  }

  /** The baseline: embedding one short query (what the search pays already). */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public float[] embedQuery() {
    return encoder.encode("where is my parcel, it was due on monday").vector();
  }

  /** Fitting on 5,000 pairs. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 1)
  @Measurement(iterations = 5)
  public QueryBridge fit() {
    return BridgeFitter.of(BridgeMethod.parse(method)).fit("new", "old", x, y);
  }
}
