package io.twinstream.cli;

import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The line input of {@code embed} and {@code produce}: {@code --input FILE|-} and {@code --format},
 * read as UTF-8 with invalid bytes replaced, a leading byte-order mark dropped, and a byte count
 * for progress.
 */
final class TextInput {

  @Option(
      names = "--input",
      defaultValue = "-",
      paramLabel = "FILE|-",
      description = "Input file, or - for standard input (default: ${DEFAULT-VALUE}).")
  String input;

  @Option(
      names = "--format",
      defaultValue = "text",
      paramLabel = "text|jsonl",
      description =
          "text: one text per line, id = 1-based line number; jsonl: {\"id\": ..., \"text\": ...} per "
              + "line, optionally \"attributes\": {...} (default: ${DEFAULT-VALUE}).")
  InputFormat format;

  /** Size in bytes when the input is a file, -1 for standard input. */
  long size() throws IOException {
    return "-".equals(input) ? -1 : Files.size(Path.of(input));
  }

  /** Opens the input; read lines with {@link Reader#next()}. */
  Reader open() throws IOException {
    return new Reader(
        new CountingInputStream(
            "-".equals(input) ? System.in : Files.newInputStream(Path.of(input))),
        format);
  }

  /** Parsed lines of the input, numbered from 1. */
  static final class Reader implements AutoCloseable {
    private final CountingInputStream counted;
    private final BufferedReader lines;
    private final InputFormat format;
    private long number;

    Reader(CountingInputStream counted, InputFormat format) {
      this.counted = counted;
      this.format = format;
      this.lines =
          new BufferedReader(
              new InputStreamReader(
                  counted,
                  StandardCharsets.UTF_8
                      .newDecoder()
                      .onMalformedInput(CodingErrorAction.REPLACE)
                      .onUnmappableCharacter(CodingErrorAction.REPLACE)),
              1 << 16);
    }

    /** The next line, parsed; null at the end of input. */
    InputLine next() throws IOException {
      String raw = lines.readLine();
      if (raw == null) {
        return null;
      }
      number++;
      if (number == 1 && raw.startsWith("\uFEFF")) {
        raw = raw.substring(1);
      }
      return InputLine.parse(format, number, raw);
    }

    /** Lines read so far. */
    long lines() {
      return number;
    }

    /** Bytes read so far. */
    long bytes() {
      return counted.count();
    }

    @Override
    public void close() throws IOException {
      lines.close();
    }
  }

  /** Counts bytes read, for progress on files of known size. */
  static final class CountingInputStream extends FilterInputStream {
    private long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    long count() {
      return count;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
