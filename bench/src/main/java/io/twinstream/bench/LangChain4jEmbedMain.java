package io.twinstream.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The baseline program for the whole-process benchmark: what a Java user writes today with
 * LangChain4j. Reads one text per line, calls {@code embedAll} and writes the same JSONL as {@code
 * twinstream embed}.
 *
 * <p>Arguments: {@code fp32|int8 INPUT OUTPUT}.
 */
public final class LangChain4jEmbedMain {

  private LangChain4jEmbedMain() {}

  public static void main(String[] args) throws Exception {
    EmbeddingModel model =
        args[0].equals("int8")
            ? new AllMiniLmL6V2QuantizedEmbeddingModel()
            : new AllMiniLmL6V2EmbeddingModel();
    String version =
        args[0].equals("int8") ? "langchain4j-all-minilm-l6-v2-q" : "langchain4j-all-minilm-l6-v2";
    List<String> lines = Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8);
    List<Embedding> embeddings =
        model.embedAll(lines.stream().map(TextSegment::from).toList()).content();
    try (BufferedWriter out = Files.newBufferedWriter(Path.of(args[2]), StandardCharsets.UTF_8);
        JsonGenerator gen = new JsonFactory().createGenerator(out)) {
      gen.setRootValueSeparator(null);
      for (int i = 0; i < embeddings.size(); i++) {
        gen.writeStartObject();
        gen.writeStringField("id", Integer.toString(i + 1));
        gen.writeStringField("model_version", version);
        gen.writeArrayFieldStart("vector");
        for (float v : embeddings.get(i).vector()) {
          gen.writeNumber(v);
        }
        gen.writeEndArray();
        gen.writeEndObject();
        gen.writeRaw('\n');
      }
    }
    System.exit(0);
  }
}
