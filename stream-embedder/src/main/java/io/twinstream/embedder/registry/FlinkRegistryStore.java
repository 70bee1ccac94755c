package io.twinstream.embedder.registry;

import io.twinstream.encoder.registry.RegistryStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * A model registry on any file system Flink can reach: {@code hdfs://}, {@code s3://} (with Flink's
 * S3 plugin, against AWS or any S3-compatible store), {@code gs://}, {@code abfs://}, and {@code
 * file://}. It works the way object stores allow: no renames; a version's files are written in
 * place and its manifest last, and {@code CURRENT} is replaced by one write (a single PUT on an
 * object store, which readers see whole).
 *
 * <p>On an object store two publishers of the <em>same</em> version racing each other cannot be
 * fully excluded (there is no create-if-absent); the loser is told so when it reads the manifest
 * back, and should the two have overwritten each other's files, the checksums refuse the version
 * everywhere: a damaged bundle never serves.
 */
public final class FlinkRegistryStore implements RegistryStore {

  private final URI root;
  private final FileSystem fs;

  /** Opens the registry at {@code root} on the Flink file system its scheme names. */
  public FlinkRegistryStore(URI root) throws IOException {
    Objects.requireNonNull(root, "root");
    if (root.getScheme() == null) {
      throw new IllegalArgumentException(
          "Registry URI " + root + " has no scheme (such as s3:// or hdfs://)");
    }
    String normalized = root.normalize().toString();
    while (normalized.endsWith("/")) {
      normalized = normalized.substring(0, normalized.length() - 1);
    }
    this.root = URI.create(normalized);
    if (this.root.getPath() == null
        || this.root.getPath().contains("/../")
        || this.root.getPath().endsWith("/..")) {
      throw new IllegalArgumentException("Registry URI " + root + " is not a hierarchical path");
    }
    this.fs = FileSystem.get(this.root);
  }

  private Path path(String name) {
    return name.isEmpty() ? new Path(root) : new Path(root + "/" + name);
  }

  @Override
  public URI root() {
    return root;
  }

  @Override
  public URI uri(String name) {
    return URI.create(name.isEmpty() ? root.toString() : root + "/" + name);
  }

  @Override
  public Optional<String> nameOf(URI uri) {
    if (uri == null || uri.getScheme() == null || uri.getPath() == null) {
      return Optional.empty();
    }
    URI n = uri.normalize();
    if (!n.getScheme().toLowerCase(Locale.ROOT).equals(root.getScheme().toLowerCase(Locale.ROOT))
        || !Objects.equals(n.getAuthority(), root.getAuthority())) {
      return Optional.empty();
    }
    String prefix = root.getPath() + "/";
    String path = n.getPath();
    if (!path.startsWith(prefix) || path.length() == prefix.length()) {
      return Optional.empty();
    }
    String name = path.substring(prefix.length());
    for (String segment : name.split("/")) {
      if (segment.equals("..") || segment.equals(".")) {
        return Optional.empty();
      }
    }
    return Optional.of(name);
  }

  @Override
  public boolean supportsAtomicRename() {
    return false;
  }

  @Override
  public byte[] read(String name) throws IOException {
    Path path = path(name);
    // Ask first: S3 clients report a missing key in their own ways, some only after retrying it.
    if (!fs.exists(path)) {
      throw new NoSuchFileException(path.toString());
    }
    try (FSDataInputStream in = fs.open(path)) {
      return in.readAllBytes();
    } catch (FileNotFoundException e) {
      NoSuchFileException missing = new NoSuchFileException(path.toString());
      missing.initCause(e);
      throw missing;
    }
  }

  @Override
  public boolean exists(String name) throws IOException {
    return fs.exists(path(name));
  }

  @Override
  public void write(String name, byte[] bytes, boolean overwrite) throws IOException {
    Path path = path(name);
    if (!overwrite && fs.exists(path)) {
      throw new FileAlreadyExistsException(path.toString());
    }
    try (FSDataOutputStream out =
        fs.create(
            path, overwrite ? FileSystem.WriteMode.OVERWRITE : FileSystem.WriteMode.NO_OVERWRITE)) {
      out.write(bytes);
      out.flush();
      out.sync();
    }
  }

  @Override
  public void replace(String name, byte[] bytes) throws IOException {
    write(name, bytes, true);
  }

  @Override
  public List<String> list(String name) throws IOException {
    FileStatus[] entries;
    try {
      entries = fs.listStatus(path(name));
    } catch (FileNotFoundException e) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (entries != null) {
      for (FileStatus entry : entries) {
        out.add(entry.getPath().getName());
      }
    }
    return out;
  }

  @Override
  public void rename(String from, String to) {
    throw new UnsupportedOperationException(
        "Renames are not atomic on " + root.getScheme() + "://");
  }

  @Override
  public void delete(String name) throws IOException {
    Path path = path(name);
    if (fs.exists(path)) {
      fs.delete(path, true);
    }
  }

  @Override
  public String toString() {
    return root.toString();
  }
}
