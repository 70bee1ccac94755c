package io.twinstream.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SentenceEncoderTest {

  private static ModelBundle bundle;
  private static SentenceEncoder encoder;

  @BeforeAll
  static void open() throws Exception {
    bundle = ModelBundle.builtin(ModelBundle.DEFAULT);
    encoder = SentenceEncoder.open(bundle, EncoderOptions.defaults().withBatchSize(8));
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  @Test
  void closingWhileOtherThreadsEncodeWaitsForTheirBatchesAndThenRefusesNewOnes() throws Exception {
    // Freeing the native session under a running batch crashes the JVM (seen when a job was
    // cancelled
    // mid-batch); close must wait, even for batches whose caller was interrupted.
    List<String> texts = TestTexts.parity200();
    for (int attempt = 0; attempt < 5; attempt++) {
      SentenceEncoder shared =
          SentenceEncoder.open(bundle, EncoderOptions.defaults().withBatchSize(8).withThreads(2));
      AtomicReference<Throwable> ended = new AtomicReference<>();
      // Close right after the worker has started its attempt-th encode: its batches are on the
      // lanes then.
      CountDownLatch encoding = new CountDownLatch(attempt + 1);
      List<String> batch = attempt % 2 == 0 ? texts : texts.subList(0, 40);
      Thread worker =
          new Thread(
              () -> {
                try {
                  while (true) {
                    encoding.countDown();
                    shared.encode(batch);
                  }
                } catch (Throwable t) {
                  ended.set(t);
                }
              });
      worker.start();
      encoding.await();
      if (attempt % 2 == 1) {
        worker.interrupt(); // its submitted batches go on running on the lanes
      }
      shared.close();
      worker.join(60_000);
      Throwable t = ended.get();
      assertTrue(
          t instanceof IllegalStateException || t instanceof EncodingException, String.valueOf(t));
      assertThrows(IllegalStateException.class, () -> shared.encode(List.of("after close")));
    }
  }

  @Test
  void aTextsVectorDoesNotDependOnItsBatch() {
    List<String> texts = TestTexts.parity200().subList(0, 120);
    String longText =
        "Streams of messages arrive from many services and each one is embedded. ".repeat(12);
    List<String> batch = new ArrayList<>(texts);
    batch.add(longText); // forces heavy padding on every text that shares its batch
    try (SentenceEncoder oneBatch =
        SentenceEncoder.open(bundle, EncoderOptions.defaults().withBatchSize(512))) {
      List<SentenceEmbedding> together = oneBatch.encode(batch);
      for (int i = 0; i < texts.size(); i++) {
        float[] alone = encoder.encode(texts.get(i)).vector();
        float diff = TestTexts.maxAbsDiff(alone, together.get(i).vector());
        assertTrue(diff <= 1e-5f, "text " + i + " differs by " + diff + " alone vs padded batch");
      }
    } catch (InvalidBundleException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void resultsComeBackInInputOrderWhateverTheLengths() {
    List<String> texts = new ArrayList<>(TestTexts.stsSentences("dev").subList(0, 60));
    Collections.shuffle(texts, new Random(7));
    List<SentenceEmbedding> all = encoder.encode(texts);
    assertEquals(texts.size(), all.size());
    for (int i = 0; i < texts.size(); i += 7) {
      float diff = TestTexts.maxAbsDiff(encoder.encode(texts.get(i)).vector(), all.get(i).vector());
      assertTrue(diff <= 1e-5f, "result " + i + " is not the vector of text " + i);
    }
  }

  @Test
  void vectorsAreUnitLengthAndOfTheManifestDimension() {
    for (SentenceEmbedding e : encoder.encode(List.of("one", "two words", "🙂"))) {
      assertEquals(384, e.vector().length);
      double norm = 0;
      for (float v : e.vector()) {
        norm += v * v;
      }
      assertEquals(1.0, Math.sqrt(norm), 1e-5);
    }
  }

  @Test
  void longTextIsTruncatedAndReportsItsFullTokenCount() {
    String text = "word ".repeat(400).trim(); // 400 words, each one token, plus [CLS] and [SEP]
    SentenceEmbedding e = encoder.encode(text);
    assertTrue(e.truncated());
    assertEquals(402, e.tokens());
    // The truncated vector equals the vector of the text cut to what fits (254 words + 2 specials).
    SentenceEmbedding cut = encoder.encode("word ".repeat(254).trim());
    assertFalse(cut.truncated());
    assertEquals(256, cut.tokens());
    assertTrue(TestTexts.maxAbsDiff(e.vector(), cut.vector()) <= 1e-5f);
  }

  @Test
  void shortTextIsNotTruncated() {
    SentenceEmbedding e = encoder.encode("Kafka topics are partitioned logs.");
    assertFalse(e.truncated());
    assertTrue(e.tokens() > 2 && e.tokens() < 20, "tokens " + e.tokens());
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 10, 256})
  void ourTruncationIsTheTokenizersOwn(int maxLength) throws Exception {
    byte[] json = bundle.tokenizerBytes();
    List<String> texts =
        List.of(
            "word ".repeat(300),
            "Быстрая коричневая лиса ".repeat(40),
            "敏捷的棕色狐狸跳过了懒狗。".repeat(30),
            "short",
            "🙂 🚀 ".repeat(200));
    try (TextTokenizer ours = new TextTokenizer(json, maxLength, "test");
        HuggingFaceTokenizer reference =
            HuggingFaceTokenizer.newInstance(
                new ByteArrayInputStream(json),
                Map.of(
                    "padding",
                    "false",
                    "truncation",
                    "true",
                    "maxLength",
                    Integer.toString(maxLength)))) {
      TextTokenizer.Tokenized[] tokenized = ours.tokenize(texts);
      for (int i = 0; i < texts.size(); i++) {
        Encoding expected = reference.encode(texts.get(i));
        assertEquals(
            Arrays.toString(expected.getIds()),
            Arrays.toString(tokenized[i].ids()),
            "text " + i + " at max length " + maxLength);
        assertEquals(tokenized[i].tokens() > maxLength, tokenized[i].truncated());
      }
    }
  }

  @Test
  void concurrentBatchesGiveTheSameVectorsAsOneAtATime() throws Exception {
    List<String> texts = TestTexts.stsSentences("train").subList(0, 100);
    try (SentenceEncoder serial =
        SentenceEncoder.open(bundle, new EncoderOptions(8, 1, 1, 0, true))) {
      List<SentenceEmbedding> a = serial.encode(texts);
      List<SentenceEmbedding> b = encoder.encode(texts);
      for (int i = 0; i < texts.size(); i++) {
        assertTrue(
            TestTexts.maxAbsDiff(a.get(i).vector(), b.get(i).vector()) <= 1e-5f, "text " + i);
      }
    }
  }

  @Test
  void fusedGraphComputesWhatTheExportedGraphComputes() throws Exception {
    List<String> texts = TestTexts.parity200();
    try (SentenceEncoder plain =
        SentenceEncoder.open(bundle, EncoderOptions.defaults().withFuseGraph(false))) {
      List<SentenceEmbedding> a = plain.encode(texts);
      List<SentenceEmbedding> b = encoder.encode(texts);
      for (int i = 0; i < texts.size(); i++) {
        assertTrue(
            TestTexts.maxAbsDiff(a.get(i).vector(), b.get(i).vector()) <= 1e-5f, "text " + i);
      }
    }
  }

  @Test
  void int8VectorsDoNotDependOnTheBatchEither() throws Exception {
    List<String> texts = TestTexts.parity200().subList(40, 100);
    try (SentenceEncoder int8 =
        SentenceEncoder.open(
            ModelBundle.builtin(ModelBundle.DEFAULT_INT8),
            EncoderOptions.defaults().withBatchSize(64))) {
      List<SentenceEmbedding> batched = int8.encode(texts);
      for (int i = 0; i < texts.size(); i += 5) {
        float diff =
            TestTexts.maxAbsDiff(int8.encode(texts.get(i)).vector(), batched.get(i).vector());
        assertTrue(diff <= 1e-5f, "int8 text " + i + " differs by " + diff);
      }
    }
  }

  @Test
  void nullTextIsRejectedWithItsIndex() {
    List<String> texts = new ArrayList<>(List.of("a", "b"));
    texts.add(null);
    var e = assertThrows(NullPointerException.class, () -> encoder.encode(texts));
    assertTrue(e.getMessage().contains("index 2"), e.getMessage());
  }

  @Test
  void emptyListGivesEmptyResult() {
    assertEquals(List.of(), encoder.encode(List.of()));
  }

  @Test
  void aClosedEncoderRefusesWorkAndClosingTwiceIsHarmless() throws Exception {
    SentenceEncoder e = SentenceEncoder.open(bundle, EncoderOptions.defaults().withThreads(1));
    e.close();
    e.close();
    assertThrows(IllegalStateException.class, () -> e.encode(List.of("x")));
    assertNotSame(e, encoder);
  }
}
