package io.twinstream.encoder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * The hidden states of texts at one layer of one model, by text, in a file: what {@link
 * SplitEncoder} computes once with the layers below its split and reads back instead of computing
 * them again. A text of {@code n} tokens takes {@code n × hidden × 4} bytes on disk (393 KB for 256
 * tokens of the default model) and nothing on the heap but its index entry; reads go through the
 * operating system's page cache. The store holds the states of one {@linkplain #fingerprint()
 * fingerprint} (model below the split, tokenizer, sequence length) at a time: {@link
 * #reset(String)} to another empties it. At most {@code capacity} texts are kept; later ones are
 * not stored (they are computed every time). Thread-safe.
 */
public final class HiddenStateStore implements AutoCloseable {

  private record Entry(long offset, int tokens) {}

  private final Path file;
  private final FileChannel channel;
  private final int capacity;
  private final Map<String, Entry> index = new HashMap<>();
  private String fingerprint = "";
  private int hidden;
  private long end;

  private HiddenStateStore(Path file, FileChannel channel, int capacity) {
    this.file = file;
    this.channel = channel;
    this.capacity = capacity;
  }

  /**
   * A store in a new file under {@code directory}, deleted by {@link #close()} (or when the JVM
   * exits normally).
   *
   * @param capacity the most texts kept (0 keeps none)
   * @throws UncheckedIOException if the file cannot be created
   */
  public static HiddenStateStore create(Path directory, int capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must be >= 0, got " + capacity);
    }
    try {
      Files.createDirectories(directory);
      Path file = Files.createTempFile(directory, "twinstream-hidden-states-", ".f32");
      file.toFile().deleteOnExit();
      FileChannel channel =
          FileChannel.open(
              file,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING);
      return new HiddenStateStore(file, channel, capacity);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot create a hidden-state file under " + directory + ": " + e.getMessage(), e);
    }
  }

  /** The file the states are in. */
  public Path file() {
    return file;
  }

  /** The most texts kept. */
  public int capacity() {
    return capacity;
  }

  /** Whose states these are (empty before the first {@link #reset(String)}). */
  public synchronized String fingerprint() {
    return fingerprint;
  }

  /** Texts whose states are kept now. */
  public synchronized int size() {
    return index.size();
  }

  /** Bytes of states in the file. */
  public synchronized long bytes() {
    return end;
  }

  /**
   * Makes this the store of {@code fingerprint}'s states with {@code hidden} values per token:
   * nothing changes if it already is; else every state kept is dropped.
   */
  public synchronized void reset(String fingerprint, int hidden) {
    if (this.fingerprint.equals(fingerprint) && this.hidden == hidden) {
      return;
    }
    index.clear();
    end = 0;
    try {
      channel.truncate(0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot empty " + file + ": " + e.getMessage(), e);
    }
    this.fingerprint = fingerprint;
    this.hidden = hidden;
  }

  /** Tokens of {@code text}'s kept state, or -1 when none is kept. */
  public synchronized int tokens(String text) {
    Entry e = index.get(text);
    return e == null ? -1 : e.tokens();
  }

  /**
   * Reads {@code text}'s state ({@code tokens × hidden} floats) into {@code out} from position
   * {@code at}.
   *
   * @return the text's tokens, or -1 (and nothing read) when no state is kept
   */
  public int read(String text, float[] out, int at) {
    Entry e;
    synchronized (this) {
      e = index.get(text);
    }
    if (e == null) {
      return -1;
    }
    int floats = e.tokens() * hidden;
    ByteBuffer bytes = ByteBuffer.allocate(floats * 4).order(ByteOrder.LITTLE_ENDIAN);
    try {
      long position = e.offset();
      while (bytes.hasRemaining()) {
        int n = channel.read(bytes, position);
        if (n < 0) {
          throw new IOException("the file ends at " + position);
        }
        position += n;
      }
    } catch (IOException x) {
      throw new UncheckedIOException(
          "cannot read the hidden state of a text from " + file + ": " + x.getMessage(), x);
    }
    bytes.flip();
    bytes.asFloatBuffer().get(out, at, floats);
    return e.tokens();
  }

  /**
   * Keeps {@code tokens × hidden} floats of {@code values} from position {@code from} as {@code
   * text}'s state, unless the store is full or already holds the text.
   *
   * @return whether it was kept
   */
  public boolean write(String text, FloatBuffer values, int from, int tokens) {
    int floats = tokens * hidden;
    long offset;
    synchronized (this) {
      if (index.containsKey(text) || index.size() >= capacity) {
        return false;
      }
      offset = end;
      end += (long) floats * 4;
    }
    ByteBuffer bytes = ByteBuffer.allocate(floats * 4).order(ByteOrder.LITTLE_ENDIAN);
    FloatBuffer view = bytes.asFloatBuffer();
    view.put(0, values, from, floats);
    try {
      long position = offset;
      while (bytes.hasRemaining()) {
        position += channel.write(bytes, position);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write a hidden state to " + file + ": " + e.getMessage(), e);
    }
    synchronized (this) {
      index.put(text, new Entry(offset, tokens));
    }
    return true;
  }

  /** Closes and deletes the file. */
  @Override
  public synchronized void close() {
    index.clear();
    try {
      channel.close();
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + file + ": " + e.getMessage(), e);
    }
  }
}
