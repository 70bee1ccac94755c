package io.twinstream.bench;

import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Sentences per second of Twinstream's {@link SentenceEncoder} on {@link BenchCorpus} sentences.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EncoderBenchmark {

  /** Sentences per benchmark invocation. */
  public static final int SENTENCES = 2000;

  @Param({"default", "default-int8"})
  public String model;

  @Param({"16", "32", "64"})
  public int batchSize;

  private List<String> texts;
  private SentenceEncoder encoder;

  @Setup(Level.Trial)
  public void open() throws Exception {
    texts = BenchCorpus.sentences(SENTENCES);
    encoder =
        SentenceEncoder.open(
            ModelBundle.resolve(model), EncoderOptions.defaults().withBatchSize(batchSize));
  }

  @TearDown(Level.Trial)
  public void close() {
    encoder.close();
  }

  @Benchmark
  @OperationsPerInvocation(SENTENCES)
  public float[][] twinstream() {
    return encoder.embed(texts);
  }
}
