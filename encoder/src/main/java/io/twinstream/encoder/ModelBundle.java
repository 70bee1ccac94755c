package io.twinstream.encoder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.encoder.InvalidBundleException.Problem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A verified model: the manifest, the ONNX model and the tokenizer, read into memory once and
 * checked against the manifest's SHA-256 sums. The bytes that were verified are the bytes that get
 * served, so a file replaced after verification cannot slip in.
 *
 * <p>A bundle lives in a directory ({@link #load(Path)}) or, for the built-in models, on the
 * classpath ({@link #builtin(String)}). Instances are immutable.
 */
public final class ModelBundle {

  /** Name of the built-in fp32 all-MiniLM-L6-v2 bundle. */
  public static final String DEFAULT = "default";

  /** Name of the built-in int8 (dynamically quantised) all-MiniLM-L6-v2 bundle. */
  public static final String DEFAULT_INT8 = "default-int8";

  private static final List<String> BUILTINS = List.of(DEFAULT, DEFAULT_INT8);
  private static final String BUILTIN_ROOT = "io/twinstream/encoder/builtin/";

  private final String location;
  private final BundleManifest manifest;
  private final byte[] model;
  private final byte[] tokenizer;
  private final Map<String, byte[]> extras;

  private ModelBundle(String location, BundleManifest manifest, byte[] model, byte[] tokenizer) {
    this(location, manifest, model, tokenizer, Map.of());
  }

  private ModelBundle(
      String location,
      BundleManifest manifest,
      byte[] model,
      byte[] tokenizer,
      Map<String, byte[]> extras) {
    this.location = location;
    this.manifest = manifest;
    this.model = model;
    this.tokenizer = tokenizer;
    this.extras = Collections.unmodifiableMap(new LinkedHashMap<>(extras));
  }

  /** Names accepted by {@link #builtin(String)}. */
  public static List<String> builtinNames() {
    return BUILTINS;
  }

  /**
   * Loads {@code name} if it is a built-in bundle name, otherwise the bundle directory at that
   * path.
   *
   * @throws InvalidBundleException if it is neither, or the bundle does not verify
   */
  public static ModelBundle resolve(String name) throws InvalidBundleException {
    Objects.requireNonNull(name, "bundle name");
    if (BUILTINS.contains(name)) {
      return builtin(name);
    }
    Path dir = Path.of(name);
    if (!Files.exists(dir)) {
      throw new InvalidBundleException(
          Problem.UNKNOWN_BUNDLE,
          name,
          "no such bundle directory, and not a built-in bundle (built-in: "
              + String.join(", ", BUILTINS)
              + ")");
    }
    return load(dir);
  }

  /**
   * Loads and verifies the bundle in {@code dir}: {@code manifest.json} must parse, and every file
   * it lists must exist and match its SHA-256.
   */
  public static ModelBundle load(Path dir) throws InvalidBundleException {
    Objects.requireNonNull(dir, "bundle directory");
    if (!Files.isDirectory(dir)) {
      throw new InvalidBundleException(Problem.MISSING_FILE, dir.toString(), "not a directory");
    }
    return read(dir.toString(), name -> readFile(dir.resolve(name)));
  }

  /** Reads one file of a bundle by its name in the manifest; used by {@link #read}. */
  @FunctionalInterface
  public interface FileSource {
    /**
     * The bytes of {@code name}.
     *
     * @throws InvalidBundleException ({@link Problem#MISSING_FILE} or {@link Problem#UNREADABLE})
     *     naming the file
     */
    byte[] read(String name) throws InvalidBundleException;
  }

  /**
   * Reads and verifies a bundle from any storage: {@code manifest.json} first, then every file it
   * lists, each checked against its SHA-256.
   *
   * @param location where the bundle lives, for messages and {@link #location()}
   */
  public static ModelBundle read(String location, FileSource files) throws InvalidBundleException {
    String manifestLocation = location + "/" + BundleManifest.FILE_NAME;
    BundleManifest manifest =
        BundleManifest.parse(files.read(BundleManifest.FILE_NAME), manifestLocation);
    Map<String, byte[]> verified = new LinkedHashMap<>();
    for (Map.Entry<String, String> file : manifest.files().entrySet()) {
      verified.put(
          file.getKey(),
          verify(files.read(file.getKey()), file.getValue(), location + "/" + file.getKey()));
    }
    byte[] model = verified.remove(BundleManifest.MODEL_FILE);
    byte[] tokenizer = verified.remove(BundleManifest.TOKENIZER_FILE);
    return new ModelBundle(location, manifest, model, tokenizer, verified);
  }

  /**
   * The bundle's files as they are written to storage, the manifest last: a reader that finds the
   * manifest finds every file it lists.
   */
  public Map<String, byte[]> files() {
    Map<String, byte[]> out = new LinkedHashMap<>();
    out.put(BundleManifest.MODEL_FILE, model);
    out.put(BundleManifest.TOKENIZER_FILE, tokenizer);
    out.putAll(extras);
    out.put(BundleManifest.FILE_NAME, manifest.toJson());
    return Collections.unmodifiableMap(out);
  }

  /**
   * A further file of the bundle besides the model and the tokenizer (e.g. a query bridge to the
   * version it was trained from), verified against the manifest like them; empty when the bundle
   * has none of that name.
   */
  public java.util.Optional<byte[]> file(String name) {
    byte[] bytes = extras.get(name);
    return bytes == null ? java.util.Optional.empty() : java.util.Optional.of(bytes.clone());
  }

  /**
   * The same bundle with one more file, {@code name}, its checksum added to the manifest (a file of
   * that name already there is replaced).
   *
   * @throws IllegalArgumentException when {@code name} is the model's, the tokenizer's or the
   *     manifest's, or not a plain file name
   */
  public ModelBundle withFile(String name, byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (name.equals(BundleManifest.MODEL_FILE)
        || name.equals(BundleManifest.TOKENIZER_FILE)
        || name.equals(BundleManifest.FILE_NAME)) {
      throw new IllegalArgumentException(name + " is not a further file of a bundle");
    }
    Map<String, String> sums = new LinkedHashMap<>(manifest.files());
    sums.put(name, sha256(bytes));
    Map<String, byte[]> more = new LinkedHashMap<>(extras);
    more.put(name, bytes.clone());
    return new ModelBundle(location, manifest.withFiles(sums), model, tokenizer, more);
  }

  /**
   * Loads a built-in bundle from the classpath ({@value #DEFAULT} or {@value #DEFAULT_INT8}). The
   * files come from the LangChain4j model jars; their checksums are pinned in Twinstream's own
   * manifest.
   */
  public static ModelBundle builtin(String name) throws InvalidBundleException {
    if (!BUILTINS.contains(name)) {
      throw new InvalidBundleException(
          Problem.UNKNOWN_BUNDLE,
          "builtin:" + name,
          "no such built-in bundle (built-in: " + String.join(", ", BUILTINS) + ")");
    }
    String manifestResource = BUILTIN_ROOT + name + "/" + BundleManifest.FILE_NAME;
    byte[] manifestBytes = readResource(manifestResource);
    BundleManifest manifest = BundleManifest.parse(manifestBytes, "classpath:" + manifestResource);
    JsonNode files;
    try {
      files = new ObjectMapper().readTree(manifestBytes).get("files");
    } catch (IOException e) {
      throw new InvalidBundleException(
          Problem.MALFORMED_MANIFEST, "classpath:" + manifestResource, e.getMessage(), e);
    }
    Map<String, byte[]> verified = new LinkedHashMap<>();
    for (Map.Entry<String, String> file : manifest.files().entrySet()) {
      JsonNode resource = files.path(file.getKey()).get("resource");
      if (resource == null || !resource.isTextual()) {
        throw new InvalidBundleException(
            Problem.MALFORMED_MANIFEST,
            "classpath:" + manifestResource,
            "files." + file.getKey() + " has no 'resource' for a built-in bundle");
      }
      String location = "classpath:" + resource.asText();
      verified.put(
          file.getKey(), verify(readResource(resource.asText()), file.getValue(), location));
    }
    return new ModelBundle(
        "builtin:" + name,
        manifest,
        verified.get(BundleManifest.MODEL_FILE),
        verified.get(BundleManifest.TOKENIZER_FILE));
  }

  /**
   * Creates a bundle from files already in memory, computing their checksums into the manifest.
   * Used by importers and exporters before {@link BundleWriter#write}; nothing is verified against
   * a previous manifest.
   */
  public static ModelBundle of(
      BundleManifest manifest, byte[] model, byte[] tokenizer, String location) {
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(tokenizer, "tokenizer");
    BundleManifest withSums =
        manifest.withFiles(
            Map.of(
                BundleManifest.MODEL_FILE, sha256(model),
                BundleManifest.TOKENIZER_FILE, sha256(tokenizer)));
    return new ModelBundle(location, withSums, model, tokenizer);
  }

  /**
   * The same files under another version: {@code version}, derived from {@code parentVersion} (for
   * example to publish a built-in bundle into a registry).
   */
  public ModelBundle withVersion(String version, String parentVersion) {
    BundleManifest m = manifest;
    return new ModelBundle(
        location,
        new BundleManifest(
            m.format(),
            version,
            parentVersion,
            m.dimension(),
            m.pooling(),
            m.normalize(),
            m.maxSequenceLength(),
            m.files(),
            m.createdAt(),
            m.source(),
            m.training(),
            m.metrics()),
        model,
        tokenizer,
        extras);
  }

  /**
   * The same files with another training record and other metrics in the manifest (e.g. a trained
   * candidate's, once it has been evaluated).
   */
  public ModelBundle withRecord(Map<String, Object> training, Map<String, Double> metrics) {
    BundleManifest m = manifest;
    return new ModelBundle(
        location,
        new BundleManifest(
            m.format(),
            m.version(),
            m.parentVersion(),
            m.dimension(),
            m.pooling(),
            m.normalize(),
            m.maxSequenceLength(),
            m.files(),
            m.createdAt(),
            m.source(),
            training,
            metrics),
        model,
        tokenizer,
        extras);
  }

  /**
   * The same files with another maximum sequence length (tokens per text, special tokens included),
   * e.g. to fine-tune on shorter or longer texts than the model was exported for.
   */
  public ModelBundle withMaxSequenceLength(int maxSequenceLength) {
    BundleManifest m = manifest;
    return new ModelBundle(
        location,
        new BundleManifest(
            m.format(),
            m.version(),
            m.parentVersion(),
            m.dimension(),
            m.pooling(),
            m.normalize(),
            maxSequenceLength,
            m.files(),
            m.createdAt(),
            m.source(),
            m.training(),
            m.metrics()),
        model,
        tokenizer,
        extras);
  }

  /** Where the bundle was read from: a directory path or {@code builtin:<name>}. */
  public String location() {
    return location;
  }

  /** The bundle's manifest. */
  public BundleManifest manifest() {
    return manifest;
  }

  /** The bundle's version (shortcut for {@code manifest().version()}). */
  public String version() {
    return manifest.version();
  }

  /** The verified ONNX model, read-only. */
  public ByteBuffer modelBuffer() {
    return ByteBuffer.wrap(model).asReadOnlyBuffer();
  }

  /** The verified {@code tokenizer.json}, read-only. */
  public ByteBuffer tokenizerBuffer() {
    return ByteBuffer.wrap(tokenizer).asReadOnlyBuffer();
  }

  byte[] modelBytes() {
    return model;
  }

  byte[] tokenizerBytes() {
    return tokenizer;
  }

  /** Lower-case hex SHA-256 of {@code bytes}. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }

  private static byte[] verify(byte[] bytes, String expected, String location)
      throws InvalidBundleException {
    String actual = sha256(bytes);
    if (!actual.equals(expected)) {
      throw new InvalidBundleException(
          Problem.CHECKSUM_MISMATCH,
          location,
          "SHA-256 mismatch: manifest says "
              + expected
              + ", file has "
              + actual
              + " (the file was changed or damaged after the bundle was written)");
    }
    return bytes;
  }

  private static byte[] readFile(Path path) throws InvalidBundleException {
    try {
      return Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new InvalidBundleException(Problem.MISSING_FILE, path.toString(), "file is missing", e);
    } catch (IOException | OutOfMemoryError e) {
      throw new InvalidBundleException(Problem.UNREADABLE, path.toString(), "cannot read: " + e, e);
    }
  }

  private static byte[] readResource(String resource) throws InvalidBundleException {
    ClassLoader loader = ModelBundle.class.getClassLoader();
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new InvalidBundleException(
            Problem.MISSING_FILE,
            "classpath:" + resource,
            "resource not on the classpath (is the LangChain4j model jar missing?)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new InvalidBundleException(
          Problem.UNREADABLE, "classpath:" + resource, "cannot read: " + e, e);
    }
  }

  @Override
  public String toString() {
    return "ModelBundle[" + manifest.version() + " at " + location + "]";
  }
}
