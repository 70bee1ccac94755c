package io.twinstream.encoder.registry;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Optional;

/**
 * The storage under a {@link ModelRegistry}: files addressed by names relative to one root, {@code
 * '/'} separated ({@code "v3/model.onnx"}, {@code "CURRENT"}). The registry validates every name
 * before it reaches a store, so a store never sees {@code ".."} or an absolute name.
 *
 * <p>{@link LocalRegistryStore} keeps a registry on a local disk or shared mount, with atomic
 * renames; the stream embedder adds a store over Flink's file systems (HDFS, S3-compatible object
 * stores and whatever else a Flink cluster can reach), which have none.
 */
public interface RegistryStore {

  /** The root, as a URI that identifies the registry. */
  URI root();

  /** The URI of {@code name} under the root. */
  URI uri(String name);

  /**
   * The name under the root that {@code uri} points to, after normalisation; empty when the URI
   * points anywhere else (another scheme, host or directory, or out of the root through {@code
   * ".."}).
   */
  Optional<String> nameOf(URI uri);

  /**
   * Whether {@link #rename} is atomic and refuses an existing target. Registries on such stores
   * publish into a hidden directory and rename it into place; on other stores (object stores) they
   * write the manifest last and treat a version without one as absent.
   */
  boolean supportsAtomicRename();

  /** The bytes of {@code name}; {@link NoSuchFileException} if it does not exist. */
  byte[] read(String name) throws IOException;

  /** Whether {@code name} exists (file or directory). */
  boolean exists(String name) throws IOException;

  /**
   * Whether the store itself can be reached now (its root directory is there, its bucket answers).
   * A version that is absent from a reachable store is unknown; one absent from an unreachable
   * store may come back, so a reader waits for it. The default assumes it can.
   */
  default boolean reachable() throws IOException {
    return true;
  }

  /**
   * Writes {@code name} durably, creating parent directories.
   *
   * @param overwrite whether an existing file is replaced; if false and it exists, {@link
   *     java.nio.file.FileAlreadyExistsException}
   */
  void write(String name, byte[] bytes, boolean overwrite) throws IOException;

  /**
   * Replaces the small file {@code name} so that a reader sees either the old or the new content
   * where the store allows it (rename over the old file, or one object PUT).
   */
  void replace(String name, byte[] bytes) throws IOException;

  /** Appends to {@code name} (created if absent). The default reads and rewrites it. */
  default void append(String name, byte[] bytes) throws IOException {
    byte[] old;
    try {
      old = read(name);
    } catch (NoSuchFileException e) {
      old = new byte[0];
    }
    byte[] joined = new byte[old.length + bytes.length];
    System.arraycopy(old, 0, joined, 0, old.length);
    System.arraycopy(bytes, 0, joined, old.length, bytes.length);
    replace(name, joined);
  }

  /**
   * Names of the entries directly under the directory {@code name} ({@code ""} for the root); none
   * if absent.
   */
  List<String> list(String name) throws IOException;

  /**
   * Renames {@code from} to {@code to} atomically ({@link #supportsAtomicRename()} stores only).
   *
   * @throws java.nio.file.FileAlreadyExistsException if {@code to} exists
   */
  void rename(String from, String to) throws IOException;

  /** Deletes {@code name} and everything under it; nothing happens if it does not exist. */
  void delete(String name) throws IOException;

  /** Reads a small UTF-8 text file. */
  default String readString(String name) throws IOException {
    return new String(read(name), StandardCharsets.UTF_8);
  }
}
