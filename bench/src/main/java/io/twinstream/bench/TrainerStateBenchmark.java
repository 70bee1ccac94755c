package io.twinstream.bench;

import io.twinstream.trainer.online.Feedback;
import io.twinstream.trainer.online.ReplayBuffer;
import io.twinstream.trainer.online.TrainerState;
import io.twinstream.trainer.online.TrainerStateCodec;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the trainer's checkpoint costs: snapshotting a full replay buffer and encoding it as JSON
 * (what the operator stores), against a minimal binary encoding of the same fields (the baseline:
 * about the least any format can do). Feedback texts are query-length anchors and document-length
 * candidates.
 *
 * <p>{@code java -jar bench/target/benchmarks.jar TrainerStateBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TrainerStateBenchmark {

  /** Training-side capacity; the held-out side adds a quarter (20% hold-out). */
  @Param({"4000", "20000"})
  public int capacity;

  private ReplayBuffer buffer;
  private byte[] json;

  @Setup
  public void fill() throws IOException {
    buffer = new ReplayBuffer(capacity, 0.2, 5000);
    Random random = new Random(1);
    String[] words =
        "the a service pool database request error timeout cache queue deploy disk memory client"
            .split(" ");
    for (int i = 0; i < capacity * 2; i++) {
      StringBuilder doc = new StringBuilder();
      for (int w = 0; w < 25; w++) {
        doc.append(words[random.nextInt(words.length)]).append(' ');
      }
      buffer.offer(
          new Feedback(
              "query " + random.nextInt(capacity) + " about " + words[random.nextInt(words.length)],
              doc.toString(),
              random.nextBoolean() ? 1f : 0f,
              1_700_000_000_000L + i));
    }
    json = TrainerStateCodec.encode(state());
  }

  private TrainerState state() {
    return new TrainerState(buffer.snapshot(), 12, 345, 1_700_000_000_000L, false, List.of());
  }

  @Benchmark
  public byte[] snapshotAndEncodeJson() throws IOException {
    return TrainerStateCodec.encode(state());
  }

  @Benchmark
  public TrainerState decodeJson() throws IOException {
    return TrainerStateCodec.decode(json);
  }

  @Benchmark
  public byte[] snapshotAndEncodeBinaryBaseline() throws IOException {
    TrainerState s = state();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(json.length);
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeLong(s.round());
    out.writeLong(s.newPairs());
    out.writeLong(s.lastRoundMillis());
    out.writeBoolean(s.roundRunning());
    out.writeInt(s.buffer().size());
    for (ReplayBuffer.Entry e : s.buffer()) {
      out.writeUTF(e.feedback().anchor());
      out.writeUTF(e.feedback().candidate());
      out.writeFloat(e.feedback().label());
      out.writeLong(e.feedback().eventTime());
      out.writeLong(e.sequence());
      out.writeBoolean(e.heldOut());
    }
    out.flush();
    return bytes.toByteArray();
  }
}
