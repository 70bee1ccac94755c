package io.twinstream.encoder;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The {@code manifest.json} of a model bundle: what the model is, how to pool its output, and the
 * SHA-256 of every file, so that a bundle is verified before it is ever served.
 *
 * @param format manifest format version (currently {@value #FORMAT})
 * @param version this bundle's version; letters, digits, {@code .}, {@code _} and {@code -}
 * @param parentVersion the version it was derived from (fine-tuned or re-exported), or {@code null}
 * @param dimension length of the sentence vectors
 * @param pooling how token vectors become a sentence vector
 * @param normalize whether sentence vectors are scaled to unit length
 * @param maxSequenceLength tokens per text the model sees, special tokens included; longer texts
 *     are truncated
 * @param files SHA-256 (lower-case hex) of every file in the bundle but the manifest, by file name
 * @param createdAt when the bundle was made
 * @param source free text: where the weights came from
 * @param training training configuration of a fine-tuned bundle (empty otherwise)
 * @param metrics evaluation metrics recorded with the bundle (empty if none)
 */
public record BundleManifest(
    int format,
    String version,
    String parentVersion,
    int dimension,
    PoolingMode pooling,
    boolean normalize,
    int maxSequenceLength,
    Map<String, String> files,
    Instant createdAt,
    String source,
    Map<String, Object> training,
    Map<String, Double> metrics) {

  /** The manifest format this code writes and reads. */
  public static final int FORMAT = 1;

  /** File name of the manifest inside a bundle directory. */
  public static final String FILE_NAME = "manifest.json";

  /** File name of the ONNX model inside a bundle. */
  public static final String MODEL_FILE = "model.onnx";

  /** File name of the Hugging Face tokenizer inside a bundle. */
  public static final String TOKENIZER_FILE = "tokenizer.json";

  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public BundleManifest {
    Objects.requireNonNull(version, "version");
    if (!isValidVersion(version)) {
      throw new IllegalArgumentException(
          "Invalid bundle version '"
              + version
              + "': use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    if (parentVersion != null && !isValidVersion(parentVersion)) {
      throw new IllegalArgumentException("Invalid parent version '" + parentVersion + "'");
    }
    if (dimension <= 0) {
      throw new IllegalArgumentException("dimension must be positive, got " + dimension);
    }
    Objects.requireNonNull(pooling, "pooling");
    if (maxSequenceLength < 2) {
      throw new IllegalArgumentException(
          "maxSequenceLength must be at least 2, got " + maxSequenceLength);
    }
    Objects.requireNonNull(files, "files");
    for (Map.Entry<String, String> e : files.entrySet()) {
      if (!SHA256.matcher(e.getValue()).matches()) {
        throw new IllegalArgumentException(
            "files." + e.getKey() + " is not a lower-case hex SHA-256: '" + e.getValue() + "'");
      }
      if (e.getKey().contains("/") || e.getKey().contains("\\") || e.getKey().startsWith(".")) {
        throw new IllegalArgumentException(
            "file name '" + e.getKey() + "' must be a plain name in the bundle");
      }
    }
    for (String required : new String[] {MODEL_FILE, TOKENIZER_FILE}) {
      if (!files.containsKey(required)) {
        throw new IllegalArgumentException("files has no checksum for " + required);
      }
    }
    files = Collections.unmodifiableMap(new TreeMap<>(files));
    Objects.requireNonNull(createdAt, "createdAt");
    source = source == null ? "" : source;
    training =
        training == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(training));
    metrics = metrics == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(metrics));
  }

  /** Whether {@code version} is a valid bundle version (also safe as a single path element). */
  public static boolean isValidVersion(String version) {
    return version != null && VERSION.matcher(version).matches() && !version.contains("..");
  }

  /** The same manifest with other file checksums. */
  public BundleManifest withFiles(Map<String, String> newFiles) {
    return new BundleManifest(
        format,
        version,
        parentVersion,
        dimension,
        pooling,
        normalize,
        maxSequenceLength,
        newFiles,
        createdAt,
        source,
        training,
        metrics);
  }

  /** This manifest as pretty-printed JSON (UTF-8). */
  public byte[] toJson() {
    ObjectNode node = JSON.createObjectNode();
    node.put("format", format);
    node.put("version", version);
    if (parentVersion != null) {
      node.put("parentVersion", parentVersion);
    } else {
      node.putNull("parentVersion");
    }
    node.put("dimension", dimension);
    node.put("pooling", pooling.configName());
    node.put("normalize", normalize);
    node.put("maxSequenceLength", maxSequenceLength);
    ObjectNode filesNode = node.putObject("files");
    files.forEach((name, sha) -> filesNode.putObject(name).put("sha256", sha));
    node.put("createdAt", createdAt.toString());
    node.put("source", source);
    node.set("training", JSON.valueToTree(training));
    node.set("metrics", JSON.valueToTree(metrics));
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "Cannot serialise manifest of " + version + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses a manifest.
   *
   * @param json the file's bytes
   * @param location the file's path or classpath location, for error messages
   * @throws InvalidBundleException ({@link InvalidBundleException.Problem#MALFORMED_MANIFEST})
   *     naming the file and the field that is missing or wrong
   */
  public static BundleManifest parse(byte[] json, String location) throws InvalidBundleException {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw malformed(location, "not valid JSON (" + e.getOriginalMessage() + ")", e);
    } catch (IOException e) {
      throw malformed(location, "not valid JSON (" + e.getMessage() + ")", e);
    }
    if (root == null || !root.isObject()) {
      throw malformed(location, "expected a JSON object", null);
    }
    int format = intField(root, "format", location);
    if (format != FORMAT) {
      throw malformed(
          location,
          "unsupported manifest format " + format + " (this version reads " + FORMAT + ")",
          null);
    }
    String version = textField(root, "version", location);
    JsonNode parentNode = root.get("parentVersion");
    String parent = parentNode == null || parentNode.isNull() ? null : parentNode.asText();
    int dimension = intField(root, "dimension", location);
    PoolingMode pooling;
    try {
      pooling = PoolingMode.fromConfigName(textField(root, "pooling", location));
    } catch (IllegalArgumentException e) {
      throw malformed(location, "field 'pooling': " + e.getMessage(), e);
    }
    JsonNode normalizeNode = root.get("normalize");
    if (normalizeNode != null && !normalizeNode.isBoolean()) {
      throw malformed(location, "field 'normalize' must be true or false", null);
    }
    boolean normalize = normalizeNode == null || normalizeNode.asBoolean();
    int maxSequenceLength = intField(root, "maxSequenceLength", location);
    JsonNode filesNode = root.get("files");
    if (filesNode == null || !filesNode.isObject()) {
      throw malformed(location, "missing required object 'files'", null);
    }
    Map<String, String> files = new TreeMap<>();
    var it = filesNode.fields();
    while (it.hasNext()) {
      var e = it.next();
      JsonNode sha = e.getValue().get("sha256");
      if (sha == null || !sha.isTextual()) {
        throw malformed(location, "files." + e.getKey() + " has no 'sha256' string", null);
      }
      files.put(e.getKey(), sha.asText());
    }
    Instant createdAt;
    try {
      createdAt = Instant.parse(textField(root, "createdAt", location));
    } catch (DateTimeParseException e) {
      throw malformed(location, "field 'createdAt' is not an ISO-8601 instant", e);
    }
    JsonNode sourceNode = root.get("source");
    Map<String, Object> training;
    Map<String, Double> metrics = new TreeMap<>();
    try {
      JsonNode trainingNode = root.get("training");
      training =
          trainingNode == null || trainingNode.isNull()
              ? Map.of()
              : JSON.convertValue(
                  trainingNode,
                  JSON.getTypeFactory()
                      .constructMapType(LinkedHashMap.class, String.class, Object.class));
      JsonNode metricsNode = root.get("metrics");
      if (metricsNode != null && !metricsNode.isNull()) {
        var m = metricsNode.fields();
        while (m.hasNext()) {
          var e = m.next();
          if (!e.getValue().isNumber()) {
            throw malformed(location, "metrics." + e.getKey() + " is not a number", null);
          }
          metrics.put(e.getKey(), e.getValue().asDouble());
        }
      }
      return new BundleManifest(
          format,
          version,
          parent,
          dimension,
          pooling,
          normalize,
          maxSequenceLength,
          files,
          createdAt,
          sourceNode == null ? "" : sourceNode.asText(),
          training,
          metrics);
    } catch (IllegalArgumentException e) {
      throw malformed(location, e.getMessage(), e);
    }
  }

  private static String textField(JsonNode root, String name, String location)
      throws InvalidBundleException {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      throw malformed(location, "missing required field '" + name + "'", null);
    }
    if (!node.isTextual()) {
      throw malformed(location, "field '" + name + "' must be a string", null);
    }
    return node.asText();
  }

  private static int intField(JsonNode root, String name, String location)
      throws InvalidBundleException {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      throw malformed(location, "missing required field '" + name + "'", null);
    }
    if (!node.canConvertToInt() || !node.isIntegralNumber()) {
      throw malformed(location, "field '" + name + "' must be an integer", null);
    }
    return node.asInt();
  }

  private static InvalidBundleException malformed(
      String location, String message, Throwable cause) {
    return new InvalidBundleException(
        InvalidBundleException.Problem.MALFORMED_MANIFEST, location, message, cause);
  }

  @Override
  public String toString() {
    return new String(toJson(), StandardCharsets.UTF_8);
  }
}
