package io.twinstream.encoder;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.encoder.InvalidBundleException.Problem;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Turns texts into model inputs with the bundle's Hugging Face tokenizer, truncating to the model's
 * maximum sequence length itself so that it still knows each text's full token count. Padding is
 * left to the batch.
 */
public final class TextTokenizer implements AutoCloseable {

  /** One text's model input. {@code tokens} counts the whole text (special tokens included). */
  public record Tokenized(long[] ids, long[] typeIds, int tokens) {
    /** Whether the text was cut to the maximum sequence length. */
    public boolean truncated() {
      return tokens > ids.length;
    }

    /** Tokens the model sees. */
    public int length() {
      return ids.length;
    }
  }

  /** The tokenizer of {@code bundle}, truncating at its manifest's maximum sequence length. */
  public static TextTokenizer of(ModelBundle bundle) throws InvalidBundleException {
    ByteBuffer json = bundle.tokenizerBuffer();
    byte[] bytes = new byte[json.remaining()];
    json.get(bytes);
    return new TextTokenizer(bytes, bundle.manifest().maxSequenceLength(), bundle.location());
  }

  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;
  private final long largestId;
  private final int prefix;
  private final int suffix;

  TextTokenizer(byte[] tokenizerJson, int maxLength, String location)
      throws InvalidBundleException {
    this.maxLength = maxLength;
    HuggingFaceTokenizer created = null;
    try {
      // The tokenizer.json files of sentence-transformers exports often carry fixed padding and
      // truncation
      // (128 for all-MiniLM-L6-v2): both are switched off here and done per batch instead.
      created =
          HuggingFaceTokenizer.newInstance(
              new ByteArrayInputStream(tokenizerJson),
              Map.of(
                  "padding", "false",
                  "truncation", "false",
                  "addSpecialTokens", "true"));
      // Learn the template of special tokens around a single sequence ([CLS] ... [SEP] for BERT).
      Encoding probe = created.encode("a");
      long[] special = probe.getSpecialTokenMask();
      int first = 0;
      while (first < special.length && special[first] == 1) {
        first++;
      }
      int last = special.length - 1;
      while (last >= 0 && special[last] == 1) {
        last--;
      }
      if (first > last) {
        throw new InvalidBundleException(
            Problem.INVALID_MODEL,
            location,
            "the tokenizer turns the text \"a\" into special tokens only");
      }
      this.prefix = first;
      this.suffix = special.length - 1 - last;
      this.largestId = largestId(tokenizerJson);
      if (prefix + suffix >= maxLength) {
        throw new InvalidBundleException(
            Problem.INVALID_MODEL,
            location,
            "maxSequenceLength "
                + maxLength
                + " leaves no room for text after "
                + (prefix + suffix)
                + " special tokens");
      }
      this.tokenizer = created;
    } catch (IOException | RuntimeException e) {
      if (created != null) {
        created.close();
      }
      throw new InvalidBundleException(
          Problem.INVALID_MODEL, location, "cannot load the tokenizer: " + e, e);
    } catch (InvalidBundleException e) {
      created.close();
      throw e;
    }
  }

  /**
   * Characters tokenized per token of the maximum length: a WordPiece token never spans more (a
   * longer word becomes one unknown token), so a text's first {@code maxLength} tokens are always
   * in this many characters of it.
   */
  public static final int CHARS_PER_TOKEN = 100;

  /**
   * The part of {@code text} that is tokenized: all of it, or, for a text longer than {@code
   * maxLength * CHARS_PER_TOKEN} characters, that many (never splitting a surrogate pair). A 1 MB
   * text then costs what a 25 KB one does, and its token count is that of the part (it is truncated
   * either way).
   */
  private String head(String text) {
    int most = maxLength * CHARS_PER_TOKEN;
    if (text.length() <= most) {
      return text;
    }
    int end = Character.isHighSurrogate(text.charAt(most - 1)) ? most - 1 : most;
    return text.substring(0, end);
  }

  /**
   * The largest token id the tokenizer can produce (its vocabulary's and added tokens'), or -1 when
   * the file does not list them in a form read here.
   */
  public long largestId() {
    return largestId;
  }

  private static long largestId(byte[] tokenizerJson) {
    try {
      JsonNode root = new ObjectMapper().readTree(tokenizerJson);
      long largest = -1;
      JsonNode vocab = root.path("model").path("vocab");
      if (vocab.isObject()) {
        for (JsonNode id : vocab) {
          largest = Math.max(largest, id.asLong(-1));
        }
      } else if (vocab.isArray()) {
        largest = vocab.size() - 1L;
      }
      for (JsonNode added : root.path("added_tokens")) {
        largest = Math.max(largest, added.path("id").asLong(-1));
      }
      return largest;
    } catch (IOException e) {
      return -1;
    }
  }

  /** The maximum sequence length, special tokens included. */
  public int maxLength() {
    return maxLength;
  }

  /**
   * Tokenizes {@code texts} (in one native call) and truncates each to the maximum sequence length.
   */
  public Tokenized[] tokenize(List<String> texts) {
    Encoding[] encodings = tokenizer.batchEncode(texts.stream().map(this::head).toList());
    Tokenized[] out = new Tokenized[encodings.length];
    for (int i = 0; i < encodings.length; i++) {
      out[i] = truncate(encodings[i].getIds(), encodings[i].getTypeIds());
    }
    return out;
  }

  private Tokenized truncate(long[] ids, long[] typeIds) {
    int tokens = ids.length;
    if (tokens <= maxLength) {
      return new Tokenized(ids, typeIds, tokens);
    }
    // Keep the leading special tokens, the first (maxLength - specials) text tokens, and the
    // trailing
    // special tokens: what the tokenizer's own right-side truncation produces for one sequence.
    int keep = maxLength - prefix - suffix;
    long[] cutIds = Arrays.copyOf(ids, maxLength);
    long[] cutTypes = Arrays.copyOf(typeIds, maxLength);
    System.arraycopy(ids, tokens - suffix, cutIds, prefix + keep, suffix);
    System.arraycopy(typeIds, tokens - suffix, cutTypes, prefix + keep, suffix);
    return new Tokenized(cutIds, cutTypes, tokens);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
