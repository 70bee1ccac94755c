package io.twinstream.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextTokenizerTest {

  @Test
  void aHugeTextIsTokenizedOnlyAsFarAsTheModelCanSeeAndStillCountsAsTruncated() throws Exception {
    try (TextTokenizer tokenizer = TextTokenizer.of(ModelBundle.builtin(ModelBundle.DEFAULT))) {
      int head = tokenizer.maxLength() * TextTokenizer.CHARS_PER_TOKEN;
      String huge = "stream processing with embeddings ".repeat(60_000); // ~2 MB
      TextTokenizer.Tokenized whole = tokenizer.tokenize(List.of(huge))[0];
      TextTokenizer.Tokenized part = tokenizer.tokenize(List.of(huge.substring(0, head)))[0];
      assertTrue(whole.truncated());
      assertEquals(tokenizer.maxLength(), whole.length());
      assertEquals(part.tokens(), whole.tokens(), "the token count of the part tokenized");
      for (int i = 0; i < whole.length(); i++) {
        assertEquals(part.ids()[i], whole.ids()[i]);
      }
    }
  }

  @Test
  void aSurrogatePairAtTheCutIsNotSplit() throws Exception {
    try (TextTokenizer tokenizer = TextTokenizer.of(ModelBundle.builtin(ModelBundle.DEFAULT))) {
      int head = tokenizer.maxLength() * TextTokenizer.CHARS_PER_TOKEN;
      String text = "a".repeat(head - 1) + "\uD83D\uDE00" + "tail";
      TextTokenizer.Tokenized t = tokenizer.tokenize(List.of(text))[0];
      assertTrue(t.tokens() > 0);
    }
  }
}
