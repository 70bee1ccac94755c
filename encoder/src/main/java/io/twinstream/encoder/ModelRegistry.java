package io.twinstream.encoder;

import io.twinstream.encoder.InvalidBundleException.Problem;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Versioned model bundles under one root directory: {@code ROOT/<version>/{model.onnx, tokenizer.json,
 * manifest.json}}, plus {@code ROOT/CURRENT} naming the version that should serve.
 *
 * <p>Publishing is atomic: the bundle is written into a hidden temporary directory (manifest last), verified
 * by loading it back, and renamed into place; a reader sees a complete, verified version or none. Two
 * publishers of the same version cannot both win: the rename of the second fails. Version names are
 * single path elements ({@link BundleManifest#isValidVersion}) and URIs are resolved only inside the root,
 * so nothing can escape it.
 *
 * <p>The root may be any directory the JVM can reach (a local disk or a shared mount). Thread-safe.
 */
public final class ModelRegistry {

  /** File naming the version that should serve. */
  public static final String CURRENT = "CURRENT";
  /** Append-only log of the versions made current: {@code epochMillis<TAB>version} per line. */
  public static final String HISTORY = "HISTORY";
  private static final String INCOMING_PREFIX = ".incoming-";

  private final Path root;

  private ModelRegistry(Path root) {
    this.root = root;
  }

  /** Opens (and creates if needed) the registry at {@code root}. */
  public static ModelRegistry open(Path root) throws IOException {
    Objects.requireNonNull(root, "root");
    Path normalized = root.toAbsolutePath().normalize();
    Files.createDirectories(normalized);
    return new ModelRegistry(normalized);
  }

  /** The registry's root directory (absolute, normalised). */
  public Path root() {
    return root;
  }

  /**
   * The directory of {@code version}.
   *
   * @throws IllegalArgumentException if the name is not a valid version (which rules out path traversal)
   */
  public Path directory(String version) {
    if (!BundleManifest.isValidVersion(version)) {
      throw new IllegalArgumentException("Invalid model version '" + version
          + "': use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    Path dir = root.resolve(version).normalize();
    if (!dir.getParent().equals(root)) {
      throw new IllegalArgumentException("Model version '" + version + "' resolves outside the registry " + root);
    }
    return dir;
  }

  /** The URI of {@code version}'s directory, as carried by {@code ModelUpdate} events. */
  public URI uri(String version) {
    return directory(version).toUri();
  }

  /**
   * The version a URI names, if the URI points to a version directory directly inside this registry.
   *
   * @throws IllegalArgumentException when it points anywhere else
   */
  public String versionOf(URI uri) {
    Path path;
    try {
      path = Path.of(uri).toAbsolutePath().normalize();
    } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      throw new IllegalArgumentException("Model URI " + uri + " is not a path of this registry (" + root + ")", e);
    }
    if (path.getParent() == null || !path.getParent().equals(root) || path.getFileName() == null
        || !BundleManifest.isValidVersion(path.getFileName().toString())) {
      throw new IllegalArgumentException("Model URI " + uri + " is outside the registry " + root);
    }
    return path.getFileName().toString();
  }

  /**
   * Publishes {@code bundle} under its manifest's version.
   *
   * @return the published bundle as loaded back from the registry
   * @throws FileAlreadyExistsException if the version is already published (also when another publisher won
   *     a race for it)
   * @throws InvalidBundleException if the written bundle does not verify (nothing is published then)
   */
  public ModelBundle publish(ModelBundle bundle) throws IOException, InvalidBundleException {
    String version = bundle.version();
    Path target = directory(version);
    if (Files.exists(target)) {
      throw new FileAlreadyExistsException(target.toString(), null, "model version " + version
          + " is already published in " + root);
    }
    Path incoming = root.resolve(INCOMING_PREFIX + version + "-" + UUID.randomUUID());
    try {
      BundleWriter.write(bundle, incoming);
      ModelBundle.load(incoming); // verify what is on disk before it becomes visible
      try {
        Files.move(incoming, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("The file system of " + root + " cannot rename directories atomically", e);
      } catch (FileSystemException e) {
        // rename(2) onto a non-empty directory fails with ENOTEMPTY, which Java reports in several ways
        if (e instanceof FileAlreadyExistsException || e instanceof DirectoryNotEmptyException
            || Files.exists(target.resolve(BundleManifest.FILE_NAME))) {
          throw new FileAlreadyExistsException(target.toString(), null, "model version " + version
              + " was published by another publisher at the same time");
        }
        throw e;
      }
      syncDirectory(root);
    } finally {
      deleteRecursively(incoming);
    }
    return ModelBundle.load(target);
  }

  /** Manifests of the published versions, oldest first; unreadable versions are skipped. */
  public List<BundleManifest> list() throws IOException {
    List<BundleManifest> out = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.filter(Files::isDirectory).toList()) {
        String name = dir.getFileName().toString();
        if (!BundleManifest.isValidVersion(name)) {
          continue; // incoming (hidden) directories and anything else that is not a version
        }
        Path manifest = dir.resolve(BundleManifest.FILE_NAME);
        try {
          out.add(BundleManifest.parse(Files.readAllBytes(manifest), manifest.toString()));
        } catch (NoSuchFileException | InvalidBundleException e) {
          // not a complete bundle: never listed
        }
      }
    }
    out.sort(Comparator.comparing(BundleManifest::createdAt).thenComparing(BundleManifest::version));
    return out;
  }

  /** Loads and verifies {@code version}. */
  public ModelBundle load(String version) throws InvalidBundleException {
    Path dir;
    try {
      dir = directory(version);
    } catch (IllegalArgumentException e) {
      throw new InvalidBundleException(Problem.UNKNOWN_BUNDLE, root + "/" + version, e.getMessage(), e);
    }
    if (!Files.isDirectory(dir)) {
      throw new InvalidBundleException(Problem.UNKNOWN_BUNDLE, dir.toString(),
          "no such version in the registry " + root);
    }
    return ModelBundle.load(dir);
  }

  /** Lower-case hex SHA-256 of {@code version}'s manifest.json (which lists the SHA-256 of every file). */
  public String manifestSha256(String version) throws IOException {
    return ModelBundle.sha256(Files.readAllBytes(directory(version).resolve(BundleManifest.FILE_NAME)));
  }

  /** The version {@code CURRENT} names, if any. */
  public Optional<String> current() throws IOException {
    Path file = root.resolve(CURRENT);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    String version = Files.readString(file, StandardCharsets.UTF_8).trim();
    return BundleManifest.isValidVersion(version) ? Optional.of(version) : Optional.empty();
  }

  /**
   * Makes {@code version} the current one (atomically replacing {@code CURRENT}).
   *
   * @throws InvalidBundleException if the version is not published or does not verify
   */
  public void setCurrent(String version) throws IOException, InvalidBundleException {
    load(version);
    Path tmp = root.resolve(INCOMING_PREFIX + CURRENT + "-" + UUID.randomUUID());
    Files.writeString(tmp, version + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, root.resolve(CURRENT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(root.resolve(HISTORY), System.currentTimeMillis() + "\t" + version + "\n",
        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    syncDirectory(root);
  }

  /** The versions made current, oldest first (a version appears again each time it was made current). */
  public List<String> history() throws IOException {
    Path file = root.resolve(HISTORY);
    if (!Files.exists(file)) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      int tab = line.indexOf('\t');
      String version = tab < 0 ? line.trim() : line.substring(tab + 1).trim();
      if (BundleManifest.isValidVersion(version)) {
        out.add(version);
      }
    }
    return out;
  }

  /** The version that was current before the current one, for a rollback. */
  public Optional<String> previous() throws IOException {
    Optional<String> current = current();
    List<String> history = history();
    for (int i = history.size() - 1; i >= 0; i--) {
      if (current.isEmpty() || !history.get(i).equals(current.get())) {
        return Optional.of(history.get(i));
      }
    }
    return Optional.empty();
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // not every file system can sync a directory; the rename itself is already atomic
    }
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Override
  public String toString() {
    return "ModelRegistry[" + root + "]";
  }
}
