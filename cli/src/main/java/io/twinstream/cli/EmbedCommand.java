package io.twinstream.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import io.twinstream.cli.progress.Progress;
import io.twinstream.cli.progress.ProgressOption;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import java.io.BufferedWriter;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code twinstream embed}: texts in, one JSONL vector per accepted text out, in input order. */
@Command(
    name = "embed",
    mixinStandardHelpOptions = true,
    description = {
      "Embeds texts with a model bundle and writes one JSON line per accepted input:",
      "  {\"id\", \"model_version\", \"vector\", \"truncated\", \"tokens\"}",
      "Rejected lines (empty text, invalid JSON, no \"text\") are reported on stderr with their line number",
      "and skipped. Exit code: 0 = all lines embedded, 2 = some lines rejected, 1 = failure, 64 = usage."
    })
final class EmbedCommand implements Callable<Integer> {

  /** Lines embedded together; sorting a window by length keeps padding low. */
  static final int WINDOW = 4096;

  @Spec CommandSpec spec;

  @Mixin TextInput input;

  @Option(
      names = "--output",
      defaultValue = "-",
      paramLabel = "FILE|-",
      description = "Output JSONL file, or - for standard output (default: ${DEFAULT-VALUE}).")
  String output;

  @Option(
      names = "--model",
      defaultValue = "default",
      paramLabel = "DIR|ROOT/VERSION|default|default-int8",
      description =
          "Model bundle directory (a registry's ROOT/VERSION among them, s3://… URIs too) or "
              + "built-in bundle name (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--batch-size",
      defaultValue = "" + EncoderOptions.DEFAULT_BATCH_SIZE,
      description = "Texts per ONNX Runtime call (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Compute threads (default: the number of available processors).")
  Integer threads;

  @Option(
      names = "--errors",
      paramLabel = "FILE",
      description =
          "Also write rejected lines here as JSONL {\"line\", \"id\", \"reason\", \"input\"}.")
  Path errors;

  @Mixin ProgressOption progress;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    EncoderOptions options = EncoderOptions.defaults().withBatchSize(batchSize);
    if (threads != null) {
      options = options.withThreads(threads);
    }
    SentenceEncoder encoder;
    try {
      encoder = SentenceEncoder.open(Registries.resolve(model), options);
    } catch (InvalidBundleException e) {
      err.println("twinstream embed: cannot load model '" + model + "': " + e.getMessage());
      return 1;
    } catch (IOException e) {
      err.println("twinstream embed: cannot read model '" + model + "': " + e);
      return 1;
    } catch (IllegalArgumentException e) {
      err.println("twinstream embed: " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    }
    long started = System.nanoTime();
    Stats stats;
    try (encoder) {
      stats = run(encoder, err);
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    err.printf(
        Locale.ROOT,
        "twinstream embed: %,d embedded, %,d rejected, %,d truncated in %.2f s (%,.0f texts/s) "
            + "with %s%n",
        stats.embedded,
        stats.rejected,
        stats.truncated,
        seconds,
        stats.embedded / seconds,
        encoder.modelVersion());
    return stats.rejected > 0 ? 2 : 0;
  }

  private static final class Stats {
    long lines;
    long embedded;
    long rejected;
    long truncated;
  }

  private Stats run(SentenceEncoder encoder, PrintWriter err) throws IOException {
    Stats stats = new Stats();
    long total = input.size();
    Progress bar = progress.create(err, "embedding", total);
    JsonFactory json =
        JsonFactory.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
    try (TextInput.Reader reader = input.open();
        Writer out =
            new BufferedWriter(
                new OutputStreamWriter(
                    "-".equals(output)
                        ? new NonClosingOutputStream(System.out)
                        : Files.newOutputStream(Path.of(output)),
                    StandardCharsets.UTF_8),
                1 << 16);
        JsonGenerator gen = json.createGenerator(out);
        ErrorSink errorSink = new ErrorSink(err, errors, json)) {
      gen.setRootValueSeparator(null);
      List<InputLine> window = new ArrayList<>(WINDOW);
      try (OutputWriter writer = new OutputWriter(gen)) {
        InputLine line;
        while ((line = reader.next()) != null) {
          stats.lines++;
          if (!line.accepted()) {
            stats.rejected++;
            errorSink.reject(line);
            continue;
          }
          window.add(line);
          if (window.size() == WINDOW) {
            embed(encoder, window, stats, writer);
            window = new ArrayList<>(WINDOW);
            bar.update(reader.bytes(), stats.lines, stats.rejected + " rejected");
          }
        }
        embed(encoder, window, stats, writer);
      }
      bar.complete(total > 0 ? total : reader.bytes(), stats.lines, stats.rejected + " rejected");
      gen.flush();
    } finally {
      bar.finish();
    }
    return stats;
  }

  /** Embeds {@code window} on the calling thread and hands its output to {@code writer}. */
  private static void embed(
      SentenceEncoder encoder, List<InputLine> window, Stats stats, OutputWriter writer)
      throws IOException {
    if (window.isEmpty()) {
      return;
    }
    List<String> texts = new ArrayList<>(window.size());
    window.forEach(l -> texts.add(l.text()));
    List<SentenceEmbedding> results = encoder.encode(texts);
    for (SentenceEmbedding e : results) {
      stats.embedded++;
      if (e.truncated()) {
        stats.truncated++;
      }
    }
    writer.write(window, results, encoder.modelVersion());
  }

  /**
   * Writes the JSONL output of one window on a thread of its own while the next window is embedded;
   * windows are written in order, one at a time. {@link #close()} waits for the last one and
   * reports its failure.
   */
  private static final class OutputWriter implements AutoCloseable {
    private final JsonGenerator gen;
    private final ExecutorService thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "twinstream-embed-writer");
              t.setDaemon(true);
              return t;
            });
    private Future<?> pending = CompletableFuture.completedFuture(null);

    OutputWriter(JsonGenerator gen) {
      this.gen = gen;
    }

    void write(List<InputLine> window, List<SentenceEmbedding> results, String version)
        throws IOException {
      await();
      pending =
          thread.submit(
              () -> {
                writeWindow(window, results, version);
                return null;
              });
    }

    private void writeWindow(
        List<InputLine> window, List<SentenceEmbedding> results, String version)
        throws IOException {
      for (int i = 0; i < window.size(); i++) {
        SentenceEmbedding e = results.get(i);
        gen.writeStartObject();
        gen.writeStringField("id", window.get(i).id());
        gen.writeStringField("model_version", version);
        gen.writeArrayFieldStart("vector");
        for (float v : e.vector()) {
          gen.writeNumber(v);
        }
        gen.writeEndArray();
        gen.writeBooleanField("truncated", e.truncated());
        gen.writeNumberField("tokens", e.tokens());
        gen.writeEndObject();
        gen.writeRaw('\n');
      }
    }

    private void await() throws IOException {
      try {
        pending.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while writing output", e);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof IOException io
            ? io
            : new IOException("writing output failed: " + e.getCause(), e.getCause());
      }
    }

    @Override
    public void close() throws IOException {
      try {
        await();
      } finally {
        thread.shutdownNow();
      }
    }
  }

  /** Reports rejected lines on stderr and, when asked, as JSONL in a file. */
  private static final class ErrorSink implements AutoCloseable {
    private final PrintWriter err;
    private final Writer file;
    private final JsonGenerator gen;

    ErrorSink(PrintWriter err, Path path, JsonFactory json) throws IOException {
      this.err = err;
      this.file = path == null ? null : Files.newBufferedWriter(path, StandardCharsets.UTF_8);
      this.gen = file == null ? null : json.createGenerator(file);
      if (gen != null) {
        gen.setRootValueSeparator(null);
      }
    }

    void reject(InputLine line) throws IOException {
      err.println(
          "\rline "
              + line.line()
              + (line.id() != null && !line.id().equals(Long.toString(line.line()))
                  ? " (id " + line.id() + ")"
                  : "")
              + ": rejected: "
              + line.rejection());
      if (gen != null) {
        gen.writeStartObject();
        gen.writeNumberField("line", line.line());
        if (line.id() != null) {
          gen.writeStringField("id", line.id());
        }
        gen.writeStringField("reason", line.rejection());
        gen.writeStringField("input", line.raw());
        gen.writeEndObject();
        gen.writeRaw('\n');
      }
    }

    @Override
    public void close() throws IOException {
      if (gen != null) {
        gen.close();
      }
    }
  }

  /** Leaves standard output open when the writer on it is closed. */
  static final class NonClosingOutputStream extends FilterOutputStream {
    NonClosingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
