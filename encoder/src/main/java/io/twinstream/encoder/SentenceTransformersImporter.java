package io.twinstream.encoder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.encoder.InvalidBundleException.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a sentence-transformers ONNX export folder into a {@link ModelBundle}:
 *
 * <ul>
 *   <li>{@code onnx/model.onnx} (or {@code model.onnx}) — the transformer, with per-token outputs;
 *   <li>{@code tokenizer.json} — the Hugging Face fast tokenizer;
 *   <li>{@code 1_Pooling/config.json} — the pooling mode and the vector dimension;
 *   <li>{@code sentence_bert_config.json} — {@code max_seq_length};
 *   <li>{@code modules.json} (optional) — normalisation is on when it lists a {@code Normalize}
 *       module, and also when the file is absent.
 * </ul>
 *
 * <p>The model is opened and run on a probe text before the bundle is returned, so an import that
 * succeeds yields a bundle that serves.
 */
public final class SentenceTransformersImporter {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Clock clock;

  public SentenceTransformersImporter() {
    this(Clock.systemUTC());
  }

  SentenceTransformersImporter(Clock clock) {
    this.clock = clock;
  }

  /**
   * Reads and checks the export in {@code source}.
   *
   * @param version the bundle's version, or {@code null} to derive one from the folder name
   * @throws InvalidBundleException naming the file that is missing, malformed or unusable
   */
  public ModelBundle read(Path source, String version) throws InvalidBundleException {
    if (!Files.isDirectory(source)) {
      throw new InvalidBundleException(Problem.MISSING_FILE, source.toString(), "not a directory");
    }
    Path model = source.resolve("onnx").resolve("model.onnx");
    if (!Files.isRegularFile(model)) {
      model = source.resolve("model.onnx");
    }
    if (!Files.isRegularFile(model)) {
      throw new InvalidBundleException(
          Problem.MISSING_FILE,
          source.resolve("onnx/model.onnx").toString(),
          "file is missing (looked for onnx/model.onnx and model.onnx)");
    }
    Path tokenizer = source.resolve(BundleManifest.TOKENIZER_FILE);
    Path poolingConfig = source.resolve("1_Pooling").resolve("config.json");
    Path bertConfig = source.resolve("sentence_bert_config.json");
    JsonNode pooling = readJson(poolingConfig);
    JsonNode bert = readJson(bertConfig);
    PoolingMode mode = poolingMode(pooling, poolingConfig.toString());
    int dimension = positiveInt(pooling, "word_embedding_dimension", poolingConfig.toString());
    int maxLength = positiveInt(bert, "max_seq_length", bertConfig.toString());
    boolean normalize = normalizes(source.resolve("modules.json"));

    String name = version != null ? version : versionFrom(source);
    if (!BundleManifest.isValidVersion(name)) {
      throw new InvalidBundleException(
          Problem.MALFORMED_MANIFEST,
          source.toString(),
          "version '"
              + name
              + "' is not valid: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    byte[] modelBytes = readBytes(model);
    byte[] tokenizerBytes = readBytes(tokenizer);
    BundleManifest manifest =
        new BundleManifest(
            BundleManifest.FORMAT,
            name,
            null,
            dimension,
            mode,
            normalize,
            maxLength,
            placeholderFiles(),
            clock.instant(),
            "imported from sentence-transformers export " + source.toAbsolutePath().normalize(),
            Map.of(),
            Map.of());
    ModelBundle bundle = ModelBundle.of(manifest, modelBytes, tokenizerBytes, source.toString());
    // Proves the model loads, takes our inputs and yields vectors of the declared dimension.
    try (SentenceEncoder ignored =
        SentenceEncoder.open(bundle, EncoderOptions.defaults().withThreads(1))) {
      return bundle;
    } catch (InvalidBundleException e) {
      if (e.problem() == Problem.INVALID_MODEL && e.getMessage().contains("manifest says")) {
        throw new InvalidBundleException(
            Problem.INVALID_MODEL,
            poolingConfig.toString(),
            "word_embedding_dimension "
                + dimension
                + " does not match the model: "
                + e.getMessage(),
            e);
      }
      throw e;
    }
  }

  /** Reads the export in {@code source} and writes it as a bundle into {@code destination}. */
  public ModelBundle importTo(Path source, Path destination, String version)
      throws InvalidBundleException, IOException {
    ModelBundle bundle = read(source, version);
    BundleWriter.write(bundle, destination);
    return bundle;
  }

  private static Map<String, String> placeholderFiles() {
    String zero = "0".repeat(64);
    return Map.of(BundleManifest.MODEL_FILE, zero, BundleManifest.TOKENIZER_FILE, zero);
  }

  private static PoolingMode poolingMode(JsonNode config, String location)
      throws InvalidBundleException {
    List<PoolingMode> on = new ArrayList<>();
    if (config.path("pooling_mode_mean_tokens").asBoolean(false)) {
      on.add(PoolingMode.MEAN);
    }
    if (config.path("pooling_mode_cls_token").asBoolean(false)) {
      on.add(PoolingMode.CLS);
    }
    if (config.path("pooling_mode_max_tokens").asBoolean(false)) {
      on.add(PoolingMode.MAX);
    }
    for (String unsupported :
        List.of(
            "pooling_mode_mean_sqrt_len_tokens",
            "pooling_mode_weightedmean_tokens",
            "pooling_mode_lasttoken")) {
      if (config.path(unsupported).asBoolean(false)) {
        throw new InvalidBundleException(
            Problem.MALFORMED_MANIFEST,
            location,
            unsupported + " is not supported (supported: mean, cls, max)");
      }
    }
    if (on.size() != 1) {
      throw new InvalidBundleException(
          Problem.MALFORMED_MANIFEST,
          location,
          "exactly one of pooling_mode_mean_tokens, pooling_mode_cls_token, pooling_mode_max_tokens must be true"
              + " (found "
              + on.size()
              + ")");
    }
    return on.get(0);
  }

  private static boolean normalizes(Path modules) throws InvalidBundleException {
    if (!Files.exists(modules)) {
      return true;
    }
    JsonNode list = readJson(modules);
    if (!list.isArray()) {
      throw new InvalidBundleException(
          Problem.MALFORMED_MANIFEST, modules.toString(), "expected a JSON array");
    }
    for (JsonNode module : list) {
      if (module.path("type").asText("").endsWith("Normalize")) {
        return true;
      }
    }
    return false;
  }

  private static int positiveInt(JsonNode node, String field, String location)
      throws InvalidBundleException {
    JsonNode value = node.get(field);
    if (value == null || !value.isIntegralNumber() || value.asInt() <= 0) {
      throw new InvalidBundleException(
          Problem.MALFORMED_MANIFEST,
          location,
          "missing or invalid '" + field + "' (a positive integer)");
    }
    return value.asInt();
  }

  private static String versionFrom(Path source) {
    Path fileName = source.toAbsolutePath().normalize().getFileName();
    String base = fileName == null ? "imported" : fileName.toString();
    String cleaned = base.replaceAll("[^A-Za-z0-9._-]", "-").replaceAll("^[^A-Za-z0-9]+", "");
    cleaned = cleaned.replace("..", ".");
    if (cleaned.isEmpty()) {
      cleaned = "imported";
    }
    return cleaned.length() > 128 ? cleaned.substring(0, 128) : cleaned;
  }

  private static JsonNode readJson(Path path) throws InvalidBundleException {
    byte[] bytes = readBytes(path);
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      throw new InvalidBundleException(
          Problem.MALFORMED_MANIFEST, path.toString(), "not valid JSON: " + e.getMessage(), e);
    }
  }

  private static byte[] readBytes(Path path) throws InvalidBundleException {
    try {
      return Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new InvalidBundleException(Problem.MISSING_FILE, path.toString(), "file is missing", e);
    } catch (IOException e) {
      throw new InvalidBundleException(Problem.UNREADABLE, path.toString(), "cannot read: " + e, e);
    }
  }
}
