package io.twinstream.bench;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
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

/**
 * The baseline: LangChain4j's in-process all-MiniLM-L6-v2 ({@code embedAll}, its default executor),
 * on the same sentences as {@link EncoderBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LangChain4jBenchmark {

  @Param({"fp32", "int8"})
  public String variant;

  private List<TextSegment> segments;
  private EmbeddingModel model;

  @Setup(Level.Trial)
  public void open() {
    segments =
        BenchCorpus.sentences(EncoderBenchmark.SENTENCES).stream().map(TextSegment::from).toList();
    model =
        variant.equals("int8")
            ? new AllMiniLmL6V2QuantizedEmbeddingModel()
            : new AllMiniLmL6V2EmbeddingModel();
  }

  @Benchmark
  @OperationsPerInvocation(EncoderBenchmark.SENTENCES)
  public List<Embedding> langchain4j() {
    return model.embedAll(segments).content();
  }
}
