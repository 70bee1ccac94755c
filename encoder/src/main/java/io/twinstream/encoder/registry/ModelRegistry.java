package io.twinstream.encoder.registry;

import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.InvalidBundleException.Problem;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.ServingCheck;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Versioned model bundles under one root: {@code ROOT/<version>/{model.onnx, tokenizer.json,
 * manifest.json}}, plus {@code ROOT/CURRENT} naming the version that should serve and {@code
 * ROOT/HISTORY} listing the versions made current.
 *
 * <p>Publishing is atomic. On a store with atomic renames (a local disk or shared mount, {@link
 * LocalRegistryStore}) the bundle is written into a hidden {@code .incoming-*} directory (manifest
 * last), verified by reading it back and renamed into place; two publishers of one version cannot
 * both win. On an object store the files are written in place and verified, and the manifest is
 * written last: a version exists only once its manifest does, so a reader never lists or loads a
 * partial one. Either way, what is loaded is verified against the manifest's checksums, so a
 * damaged or half-written bundle never serves.
 *
 * <p>Version names are single path elements ({@link BundleManifest#isValidVersion}) and URIs are
 * resolved only inside the root, so nothing can escape it. Thread-safe.
 */
public final class ModelRegistry {

  /** File naming the version that should serve. */
  public static final String CURRENT = "CURRENT";

  /** Log of the versions made current: {@code epochMillis<TAB>version} per line. */
  public static final String HISTORY = "HISTORY";

  private static final String INCOMING_PREFIX = ".incoming-";

  private final RegistryStore store;

  private ModelRegistry(RegistryStore store) {
    this.store = store;
  }

  /** Opens (and creates if needed) the registry in the local directory {@code root}. */
  public static ModelRegistry open(Path root) throws IOException {
    Objects.requireNonNull(root, "root");
    return new ModelRegistry(new LocalRegistryStore(root));
  }

  /** Opens the registry kept in {@code store}. */
  public static ModelRegistry open(RegistryStore store) {
    return new ModelRegistry(Objects.requireNonNull(store, "store"));
  }

  /** The registry's root URI. */
  public URI root() {
    return store.root();
  }

  /** The store the registry is kept in. */
  public RegistryStore store() {
    return store;
  }

  /** Where {@code name} lives, for messages: a URI under the root. */
  public String describe(String name) {
    return store.uri(name).toString();
  }

  /**
   * Checks that {@code version} names a version directly under the root.
   *
   * @throws IllegalArgumentException if the name is not a valid version (which rules out path
   *     traversal)
   */
  public static String checkVersion(String version) {
    if (!BundleManifest.isValidVersion(version)) {
      throw new IllegalArgumentException(
          "Invalid model version '"
              + version
              + "': use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    return version;
  }

  /** The URI of {@code version}'s directory, as carried by {@code ModelUpdate} events. */
  public URI uri(String version) {
    return store.uri(checkVersion(version));
  }

  /**
   * The version a URI names, if the URI points to a version directory directly inside this
   * registry.
   *
   * @throws IllegalArgumentException when it points anywhere else
   */
  public String versionOf(URI uri) {
    String name =
        store
            .nameOf(uri)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "Model URI " + uri + " is outside the registry " + root()));
    if (name.endsWith("/")) {
      name = name.substring(0, name.length() - 1);
    }
    if (!BundleManifest.isValidVersion(name)) {
      throw new IllegalArgumentException(
          "Model URI " + uri + " is not a version directory of the registry " + root());
    }
    return name;
  }

  /**
   * Publishes {@code bundle} under its manifest's version.
   *
   * @return the published bundle as loaded back from the registry
   * @throws FileAlreadyExistsException if the version is already published (also when another
   *     publisher won a race for it)
   * @throws InvalidBundleException if the written bundle does not verify (nothing is published
   *     then)
   */
  public ModelBundle publish(ModelBundle bundle) throws IOException, InvalidBundleException {
    String version = checkVersion(bundle.version());
    String manifest = version + "/" + BundleManifest.FILE_NAME;
    if (store.exists(store.supportsAtomicRename() ? version : manifest)) {
      throw alreadyPublished(version, "is already published in " + root());
    }
    // Checksums only say the files are the ones the manifest names: load the model and run texts up
    // to
    // its maximum length through it before anyone can serve it from here.
    ServingCheck.check(bundle);
    Map<String, byte[]> files = bundle.files();
    if (store.supportsAtomicRename()) {
      String incoming = INCOMING_PREFIX + version + "-" + UUID.randomUUID();
      try {
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
          store.write(incoming + "/" + file.getKey(), file.getValue(), false);
        }
        read(incoming); // verify what was written before it becomes visible
        try {
          store.rename(incoming, version);
        } catch (FileAlreadyExistsException e) {
          throw alreadyPublished(version, "was published by another publisher at the same time");
        }
      } finally {
        store.delete(incoming);
      }
    } else {
      // No atomic rename: write the files in place (overwriting the leftovers of a crashed
      // publisher),
      // verify them, then write the manifest, which makes the version exist.
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        if (!file.getKey().equals(BundleManifest.FILE_NAME)) {
          store.write(version + "/" + file.getKey(), file.getValue(), true);
        }
      }
      for (Map.Entry<String, String> sum : bundle.manifest().files().entrySet()) {
        String actual = ModelBundle.sha256(store.read(version + "/" + sum.getKey()));
        if (!actual.equals(sum.getValue())) {
          throw new InvalidBundleException(
              Problem.CHECKSUM_MISMATCH,
              describe(version + "/" + sum.getKey()),
              "read back with SHA-256 "
                  + actual
                  + " instead of "
                  + sum.getValue()
                  + " (another publisher of the same version, or a faulty store); not published");
        }
      }
      byte[] manifestBytes = files.get(BundleManifest.FILE_NAME);
      try {
        store.write(manifest, manifestBytes, false);
      } catch (FileAlreadyExistsException e) {
        throw alreadyPublished(version, "was published by another publisher at the same time");
      }
      if (!Arrays.equals(manifestBytes, store.read(manifest))) {
        throw alreadyPublished(version, "was published by another publisher at the same time");
      }
    }
    return load(version);
  }

  private FileAlreadyExistsException alreadyPublished(String version, String what) {
    return new FileAlreadyExistsException(
        describe(version), null, "model version " + version + " " + what);
  }

  /**
   * Manifests of the published versions, oldest first; incomplete or unreadable versions are
   * skipped.
   */
  public List<BundleManifest> list() throws IOException {
    List<BundleManifest> out = new ArrayList<>();
    for (String name : store.list("")) {
      if (!BundleManifest.isValidVersion(name)) {
        continue; // incoming (hidden) directories, CURRENT, HISTORY and anything else that is not a
        // version
      }
      String manifest = name + "/" + BundleManifest.FILE_NAME;
      try {
        out.add(BundleManifest.parse(store.read(manifest), describe(manifest)));
      } catch (NoSuchFileException | FileNotFoundException | InvalidBundleException e) {
        // not a complete bundle (or not a directory): never listed
      } catch (AccessDeniedException e) {
        // outside the registry (a link): never listed, never loaded
      } catch (IOException e) {
        if (!store.exists(manifest)) {
          continue; // a plain file such as CURRENT on a store that reports it differently
        }
        throw e;
      }
    }
    out.sort(
        Comparator.comparing(BundleManifest::createdAt).thenComparing(BundleManifest::version));
    return out;
  }

  /** Loads and verifies {@code version}. */
  public ModelBundle load(String version) throws InvalidBundleException {
    try {
      checkVersion(version);
    } catch (IllegalArgumentException e) {
      throw new InvalidBundleException(
          Problem.UNKNOWN_BUNDLE, root() + "/" + version, e.getMessage(), e);
    }
    boolean exists;
    boolean reachable;
    try {
      exists = store.exists(version + "/" + BundleManifest.FILE_NAME) || store.exists(version);
      reachable = exists || store.reachable();
    } catch (IOException e) {
      throw new InvalidBundleException(
          Problem.UNREADABLE, describe(version), "cannot read: " + e, e);
    }
    if (!reachable) {
      throw new InvalidBundleException(
          Problem.UNREADABLE, describe(version), "the registry " + root() + " cannot be reached");
    }
    if (!exists) {
      throw new InvalidBundleException(
          Problem.UNKNOWN_BUNDLE, describe(version), "no such version in the registry " + root());
    }
    return read(version);
  }

  /**
   * One further file of {@code version}'s bundle (e.g. its query bridge), read alone and verified
   * against the manifest's SHA-256, without loading the model; empty when the manifest lists no
   * file of that name.
   */
  public Optional<byte[]> file(String version, String name) throws InvalidBundleException {
    String dir = checkVersion(version);
    String manifestFile = dir + "/" + BundleManifest.FILE_NAME;
    BundleManifest manifest;
    byte[] bytes;
    try {
      manifest = BundleManifest.parse(store.read(manifestFile), describe(manifestFile));
      String sum = manifest.files().get(name);
      if (sum == null) {
        return Optional.empty();
      }
      bytes = store.read(dir + "/" + name);
      String actual = ModelBundle.sha256(bytes);
      if (!actual.equals(sum)) {
        throw new InvalidBundleException(
            Problem.CHECKSUM_MISMATCH,
            describe(dir + "/" + name),
            "SHA-256 mismatch: manifest says " + sum + ", file has " + actual);
      }
    } catch (NoSuchFileException | FileNotFoundException e) {
      throw new InvalidBundleException(
          Problem.MISSING_FILE, describe(dir + "/" + name), "file is missing", e);
    } catch (IOException e) {
      throw new InvalidBundleException(
          Problem.UNREADABLE, describe(dir + "/" + name), "cannot read: " + e, e);
    }
    return Optional.of(bytes);
  }

  private ModelBundle read(String dir) throws InvalidBundleException {
    return ModelBundle.read(
        describe(dir),
        name -> {
          String file = dir + "/" + name;
          try {
            return store.read(file);
          } catch (NoSuchFileException | FileNotFoundException e) {
            throw new InvalidBundleException(
                Problem.MISSING_FILE, describe(file), "file is missing", e);
          } catch (LocalRegistryStore.OutsideRegistryException e) {
            throw new InvalidBundleException(
                Problem.OUTSIDE_REGISTRY, describe(file), e.getReason(), e);
          } catch (IOException | OutOfMemoryError e) {
            throw new InvalidBundleException(
                Problem.UNREADABLE, describe(file), "cannot read: " + e, e);
          }
        });
  }

  /**
   * Lower-case hex SHA-256 of {@code version}'s manifest.json (which lists the SHA-256 of every
   * file).
   */
  public String manifestSha256(String version) throws IOException {
    return ModelBundle.sha256(store.read(checkVersion(version) + "/" + BundleManifest.FILE_NAME));
  }

  /** The version {@code CURRENT} names, if any. */
  public Optional<String> current() throws IOException {
    String version;
    try {
      version = store.readString(CURRENT).trim();
    } catch (NoSuchFileException | FileNotFoundException e) {
      return Optional.empty();
    }
    return BundleManifest.isValidVersion(version) ? Optional.of(version) : Optional.empty();
  }

  /**
   * When {@code CURRENT} was made to name the version it names: the time of {@code HISTORY}'s last
   * entry, when that entry is the current version (empty for a registry without a history).
   * Promotions announced before it are history: a job starting afresh from {@code CURRENT} must not
   * apply them again when it reads the updates topic from its beginning.
   */
  public Optional<Instant> currentSince() throws IOException {
    Optional<String> current = current();
    List<HistoryEntry> entries = historyEntries();
    if (current.isEmpty() || entries.isEmpty()) {
      return Optional.empty();
    }
    HistoryEntry last = entries.get(entries.size() - 1);
    return last.version().equals(current.get()) && last.at() != null
        ? Optional.of(last.at())
        : Optional.empty();
  }

  /**
   * Makes {@code version} the current one (replacing {@code CURRENT}) and logs it in {@code
   * HISTORY}.
   *
   * @throws InvalidBundleException if the version is not published or does not verify
   */
  public void setCurrent(String version) throws IOException, InvalidBundleException {
    load(version);
    store.replace(CURRENT, (version + "\n").getBytes(StandardCharsets.UTF_8));
    store.append(
        HISTORY,
        (System.currentTimeMillis() + "\t" + version + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The versions made current, oldest first (a version appears again each time it was made
   * current).
   */
  public List<String> history() throws IOException {
    return historyEntries().stream().map(HistoryEntry::version).toList();
  }

  /** A line of {@code HISTORY}: when (null in a line without a time) and which version. */
  private record HistoryEntry(Instant at, String version) {}

  /** {@code HISTORY}'s lines naming a valid version, oldest first. */
  private List<HistoryEntry> historyEntries() throws IOException {
    String text;
    try {
      text = store.readString(HISTORY);
    } catch (NoSuchFileException | FileNotFoundException e) {
      return List.of();
    }
    List<HistoryEntry> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      int tab = line.indexOf('\t');
      String version = tab < 0 ? line.trim() : line.substring(tab + 1).trim();
      if (BundleManifest.isValidVersion(version)) {
        out.add(new HistoryEntry(tab < 0 ? null : time(line.substring(0, tab)), version));
      }
    }
    return out;
  }

  private static Instant time(String millis) {
    try {
      return Instant.ofEpochMilli(Long.parseLong(millis.trim()));
    } catch (NumberFormatException e) {
      return null;
    }
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

  @Override
  public String toString() {
    return "ModelRegistry[" + root() + "]";
  }
}
