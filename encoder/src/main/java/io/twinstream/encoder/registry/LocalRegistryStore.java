package io.twinstream.encoder.registry;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A registry on a directory the JVM can reach: a local disk or a shared mount (NFS and the like).
 * Renames are atomic ({@code rename(2)}), files and directories are synced after writing.
 */
public final class LocalRegistryStore implements RegistryStore {

  /** A name whose real path (links resolved) leaves the registry root. */
  public static final class OutsideRegistryException extends AccessDeniedException {
    private static final long serialVersionUID = 1L;

    OutsideRegistryException(String file, String other, String reason) {
      super(file, other, reason);
    }
  }

  private final Path root;

  /** Opens (and creates if needed) the directory {@code root}. */
  public LocalRegistryStore(Path root) throws IOException {
    this.root = root.toAbsolutePath().normalize();
    Files.createDirectories(this.root);
  }

  /** The root directory (absolute, normalised). */
  public Path directory() {
    return root;
  }

  /** The path of {@code name} under the root. */
  public Path path(String name) {
    return name.isEmpty() ? root : root.resolve(name);
  }

  @Override
  public URI root() {
    return root.toUri();
  }

  @Override
  public URI uri(String name) {
    return path(name).toUri();
  }

  @Override
  public Optional<String> nameOf(URI uri) {
    Path path;
    try {
      path = Path.of(uri).toAbsolutePath().normalize();
    } catch (IllegalArgumentException | FileSystemNotFoundException e) {
      return Optional.empty();
    }
    if (!path.startsWith(root) || path.equals(root)) {
      return Optional.empty();
    }
    return Optional.of(
        root.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/"));
  }

  @Override
  public boolean supportsAtomicRename() {
    return true;
  }

  @Override
  public byte[] read(String name) throws IOException {
    return Files.readAllBytes(confined(name));
  }

  /**
   * The path of {@code name} with every symbolic link resolved, refused when that leaves the root:
   * names are checked as text when a registry is asked for them, but a link inside the root could
   * still point at a bundle anywhere.
   */
  private Path confined(String name) throws IOException {
    Path real = path(name).toRealPath();
    Path realRoot = root.toRealPath();
    if (!real.startsWith(realRoot)) {
      throw new OutsideRegistryException(
          path(name).toString(),
          real.toString(),
          "resolves outside the registry root " + realRoot + " (a symbolic link?): refused");
    }
    return real;
  }

  @Override
  public boolean exists(String name) {
    return Files.exists(path(name));
  }

  @Override
  public boolean reachable() {
    return Files.isDirectory(directory());
  }

  /**
   * Refuses to write when the root itself is gone: a share that is not mounted right now must not
   * get a new, empty registry written into its mount point.
   */
  private void requireRoot() throws NoSuchFileException {
    if (!Files.isDirectory(root)) {
      throw new NoSuchFileException(
          root.toString(),
          null,
          "the registry root is not there (moved, or a mount that is down?); it is not recreated");
    }
  }

  @Override
  public void write(String name, byte[] bytes, boolean overwrite) throws IOException {
    requireRoot();
    Path path = path(name);
    Files.createDirectories(path.getParent());
    StandardOpenOption create =
        overwrite ? StandardOpenOption.CREATE : StandardOpenOption.CREATE_NEW;
    try (FileChannel channel =
        FileChannel.open(
            path, create, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    }
  }

  @Override
  public void replace(String name, byte[] bytes) throws IOException {
    Path target = path(name);
    Path tmp = target.resolveSibling(".incoming-" + target.getFileName() + "-" + UUID.randomUUID());
    write(root.relativize(tmp).toString(), bytes, false);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(target.getParent());
  }

  @Override
  public void append(String name, byte[] bytes) throws IOException {
    requireRoot();
    Files.write(
        path(name),
        bytes,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND,
        StandardOpenOption.SYNC);
  }

  @Override
  public List<String> list(String name) throws IOException {
    Path dir = path(name);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    try (Stream<Path> entries = Files.list(dir)) {
      entries.forEach(p -> out.add(p.getFileName().toString()));
    }
    return out;
  }

  @Override
  public void rename(String from, String to) throws IOException {
    Path target = path(to);
    try {
      Files.move(path(from), target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("The file system of " + root + " cannot rename atomically", e);
    } catch (FileSystemException e) {
      // rename(2) onto a non-empty directory fails with ENOTEMPTY, which Java reports in
      // several ways
      if (e instanceof FileAlreadyExistsException
          || e instanceof DirectoryNotEmptyException
          || Files.exists(target)) {
        throw new FileAlreadyExistsException(target.toString(), null, "already exists");
      }
      throw e;
    }
    syncDirectory(target.getParent());
  }

  @Override
  public void delete(String name) throws IOException {
    Path path = path(name);
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // not every file system can sync a directory; the rename itself is already atomic
    }
  }

  @Override
  public String toString() {
    return root.toString();
  }
}
