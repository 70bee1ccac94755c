package io.twinstream.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Our vectors against LangChain4j's in-process all-MiniLM-L6-v2 (the reference, test scope only),
 * on 200 varied texts under 128 tokens: non-Latin scripts, emoji, one-word inputs, symbols and STS
 * sentences.
 */
class SentenceEncoderParityTest {

  @Test
  void fp32VectorsMatchLangChain4jWithin1e5() throws Exception {
    assertParity(ModelBundle.DEFAULT, new AllMiniLmL6V2EmbeddingModel(), 1e-5f);
  }

  @Test
  void int8VectorsMatchLangChain4jQuantizedWithin1e4() throws Exception {
    assertParity(ModelBundle.DEFAULT_INT8, new AllMiniLmL6V2QuantizedEmbeddingModel(), 1e-4f);
  }

  private static void assertParity(String bundle, EmbeddingModel reference, float tolerance)
      throws Exception {
    List<String> texts = TestTexts.parity200();
    assertEquals(200, texts.size());
    List<Embedding> expected =
        reference.embedAll(texts.stream().map(TextSegment::from).toList()).content();
    try (SentenceEncoder encoder = SentenceEncoder.open(ModelBundle.builtin(bundle))) {
      List<SentenceEmbedding> actual = encoder.encode(texts);
      float worst = 0;
      int worstIndex = -1;
      for (int i = 0; i < texts.size(); i++) {
        assertTrue(
            actual.get(i).tokens() < 128,
            "text " + i + " has " + actual.get(i).tokens() + " tokens");
        float diff = TestTexts.maxAbsDiff(expected.get(i).vector(), actual.get(i).vector());
        if (diff > worst) {
          worst = diff;
          worstIndex = i;
        }
      }
      String where =
          worstIndex < 0 ? "" : " at text " + worstIndex + " \"" + texts.get(worstIndex) + "\"";
      assertTrue(
          worst <= tolerance, bundle + ": max abs difference " + worst + " > " + tolerance + where);
    }
  }
}
