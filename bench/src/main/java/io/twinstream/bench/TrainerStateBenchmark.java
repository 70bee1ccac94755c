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
 * What the trainer's checkpoint costs: snapshotting a full replay buffer and encoding it (distinct
 * texts once, deflated: what the operator stores), against a minimal binary encoding of every row's
 * texts (the baseline: what any format writing each pair's texts does at least). Feedback is what a
 * search application sends: ten pairs per search, the query as anchor, one of 5,183 documents of
 * about 256 tokens (about 1,300 characters) as candidate. The sizes of both encodings are printed.
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
  private byte[] encoded;

  /** Documents of the corpus feedback is about. */
  public static final int DOCUMENTS = 5_183;

  @Setup
  public void fill() throws IOException {
    buffer = new ReplayBuffer(capacity, 0.2, 5000);
    Random random = new Random(1);
    String[] words =
        ("the a of service pool database request error timeout cache queue deploy disk memory "
                + "client protein cell gene patient study results method analysis model data")
            .split(" ");
    String[] documents = new String[DOCUMENTS];
    for (int d = 0; d < DOCUMENTS; d++) {
      StringBuilder doc = new StringBuilder("Document " + d + ": ");
      for (int w = 0; w < 200; w++) {
        doc.append(words[random.nextInt(words.length)]).append(w % 17 == 16 ? ". " : " ");
      }
      documents[d] = doc.toString();
    }
    for (int i = 0; buffer.trainingSize() < capacity; i++) {
      String query = "query " + (i / 10) + " about " + words[(i / 10) % words.length];
      buffer.offer(
          new Feedback(
              query,
              documents[random.nextInt(DOCUMENTS)],
              i % 10 == 0 ? 1f : 0f,
              1_700_000_000_000L + i));
    }
    encoded = TrainerStateCodec.encode(state());
    System.err.printf(
        "%ncapacity %d: %d pairs (%d held out), state %d bytes; binary baseline %d bytes%n",
        capacity,
        buffer.trainingSize() + buffer.heldOutSize(),
        buffer.heldOutSize(),
        encoded.length,
        snapshotAndEncodeBinaryBaseline().length);
  }

  private TrainerState state() {
    return new TrainerState(buffer.snapshot(), 12, 345, 1_700_000_000_000L, false, List.of(), 0);
  }

  @Benchmark
  public byte[] snapshotAndEncode() throws IOException {
    return TrainerStateCodec.encode(state());
  }

  @Benchmark
  public TrainerState decode() throws IOException {
    return TrainerStateCodec.decode(encoded);
  }

  @Benchmark
  public byte[] snapshotAndEncodeBinaryBaseline() throws IOException {
    TrainerState s = state();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length);
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
