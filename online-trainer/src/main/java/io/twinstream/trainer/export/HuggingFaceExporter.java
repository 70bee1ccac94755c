package io.twinstream.trainer.export;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.PoolingMode;
import io.twinstream.encoder.onnx.BertConfig;
import io.twinstream.encoder.onnx.BertWeights;
import io.twinstream.trainer.TwinEncoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a sentence-transformers model folder that Python's {@code SentenceTransformer(dir)} loads:
 * the weights as {@code model.safetensors} under Hugging Face {@code BertModel} names (linear
 * weights transposed to {@code [out, in]}), {@code config.json}, the tokenizer, {@code
 * modules.json} with Transformer, Pooling and (if the bundle normalises) Normalize modules, {@code
 * 1_Pooling/config.json}, {@code sentence_bert_config.json}, and the bundle's ONNX model under
 * {@code onnx/model.onnx} (which {@code twinstream model import} reads back).
 */
public final class HuggingFaceExporter {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** For tokenizer.json: kept compact, as tokenizers write it. */
  private static final ObjectMapper COMPACT = new ObjectMapper();

  private HuggingFaceExporter() {}

  /**
   * Writes the folder.
   *
   * @param trained the trained weights
   * @param bundle the exported bundle of those weights (for the manifest, tokenizer and ONNX file)
   * @param dir the folder to create or fill
   */
  public static void export(TwinEncoder trained, ModelBundle bundle, Path dir) throws IOException {
    Files.createDirectories(dir.resolve("1_Pooling"));
    Files.createDirectories(dir.resolve("onnx"));
    BertConfig c = trained.config();
    BundleManifest m = bundle.manifest();

    Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : trained.parameters().entrySet()) {
      String name = e.getKey();
      long[] shape = e.getValue().getShape().getShape();
      float[] values = e.getValue().toFloatArray();
      BundleExporter.requireFinite(name, values);
      if (isLinearWeight(name)) {
        values = transpose(values, (int) shape[0], (int) shape[1]);
        shape = new long[] {shape[1], shape[0]};
      }
      tensors.put(name, new Safetensors.Tensor(shape, values));
    }
    Safetensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));

    ObjectNode config = JSON.createObjectNode();
    config.putArray("architectures").add("BertModel");
    config.put("model_type", "bert");
    config.put("vocab_size", c.vocab());
    config.put("hidden_size", c.hidden());
    config.put("num_hidden_layers", c.layers());
    config.put("num_attention_heads", c.heads());
    config.put("intermediate_size", c.intermediate());
    config.put("hidden_act", "gelu");
    config.put("hidden_dropout_prob", 0.1);
    config.put("attention_probs_dropout_prob", 0.1);
    config.put("max_position_embeddings", c.maxPositions());
    config.put("type_vocab_size", c.typeVocab());
    config.put("initializer_range", 0.02);
    config.put("layer_norm_eps", (double) c.layerNormEpsilon());
    config.put("pad_token_id", 0);
    config.put("position_embedding_type", "absolute");
    config.put("torch_dtype", "float32");
    JSON.writeValue(dir.resolve("config.json").toFile(), config);

    // The bundle's tokenizer, without the fixed padding and truncation some exports carry:
    // sentence-transformers pads per batch and truncates at max_seq_length.
    ByteBuffer tok = bundle.tokenizerBuffer();
    byte[] tokBytes = new byte[tok.remaining()];
    tok.get(tokBytes);
    ObjectNode tokenizer = (ObjectNode) COMPACT.readTree(tokBytes);
    tokenizer.putNull("padding");
    tokenizer.putNull("truncation");
    COMPACT.writeValue(dir.resolve("tokenizer.json").toFile(), tokenizer);
    boolean lowercase = tokenizer.path("normalizer").path("lowercase").asBoolean(false);
    ObjectNode tokenizerConfig = JSON.createObjectNode();
    tokenizerConfig.put("tokenizer_class", "BertTokenizer");
    tokenizerConfig.put("do_lower_case", lowercase);
    tokenizerConfig.put("model_max_length", m.maxSequenceLength());
    tokenizerConfig.put("cls_token", "[CLS]");
    tokenizerConfig.put("sep_token", "[SEP]");
    tokenizerConfig.put("pad_token", "[PAD]");
    tokenizerConfig.put("unk_token", "[UNK]");
    tokenizerConfig.put("mask_token", "[MASK]");
    JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), tokenizerConfig);

    ArrayNode modules = JSON.createArrayNode();
    modules
        .addObject()
        .put("idx", 0)
        .put("name", "0")
        .put("path", "")
        .put("type", "sentence_transformers.models.Transformer");
    modules
        .addObject()
        .put("idx", 1)
        .put("name", "1")
        .put("path", "1_Pooling")
        .put("type", "sentence_transformers.models.Pooling");
    if (m.normalize()) {
      Files.createDirectories(dir.resolve("2_Normalize"));
      modules
          .addObject()
          .put("idx", 2)
          .put("name", "2")
          .put("path", "2_Normalize")
          .put("type", "sentence_transformers.models.Normalize");
    }
    JSON.writeValue(dir.resolve("modules.json").toFile(), modules);

    ObjectNode pooling = JSON.createObjectNode();
    pooling.put("word_embedding_dimension", m.dimension());
    pooling.put("pooling_mode_cls_token", m.pooling() == PoolingMode.CLS);
    pooling.put("pooling_mode_mean_tokens", m.pooling() == PoolingMode.MEAN);
    pooling.put("pooling_mode_max_tokens", m.pooling() == PoolingMode.MAX);
    pooling.put("pooling_mode_mean_sqrt_len_tokens", false);
    JSON.writeValue(dir.resolve("1_Pooling").resolve("config.json").toFile(), pooling);

    ObjectNode st = JSON.createObjectNode();
    st.put("max_seq_length", m.maxSequenceLength());
    st.put("do_lower_case", false);
    JSON.writeValue(dir.resolve("sentence_bert_config.json").toFile(), st);

    ObjectNode stConfig = JSON.createObjectNode();
    stConfig.putObject("__version__").put("twinstream_bundle", m.version());
    stConfig.putObject("prompts");
    stConfig.putNull("default_prompt_name");
    stConfig.put("similarity_fn_name", "cosine");
    JSON.writeValue(dir.resolve("config_sentence_transformers.json").toFile(), stConfig);

    ByteBuffer model = bundle.modelBuffer();
    byte[] modelBytes = new byte[model.remaining()];
    model.get(modelBytes);
    Files.write(dir.resolve("onnx").resolve("model.onnx"), modelBytes);
  }

  static boolean isLinearWeight(String name) {
    if (!name.endsWith(".weight") || !name.startsWith("encoder.layer.")) {
      return false;
    }
    return BertWeights.LINEARS.stream().anyMatch(l -> name.endsWith("." + l + ".weight"));
  }

  static float[] transpose(float[] values, int rows, int cols) {
    float[] out = new float[values.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = values[r * cols + c];
      }
    }
    return out;
  }
}
