package io.twinstream.schemas.decode;

import java.io.Serializable;
import java.util.Map;

/**
 * The most a record read from a topic may carry, checked when it is decoded, before any work is
 * done on it: a record over a limit becomes a dead letter saying which limit and by how much,
 * instead of an output too large to write or a text that takes seconds to tokenize.
 *
 * @param idBytes most UTF-8 bytes of a sentence id (default 1,024)
 * @param textBytes most UTF-8 bytes of a text: a sentence's, a feedback anchor or candidate
 *     (default 1,048,576)
 * @param attributesBytes most UTF-8 bytes of a sentence's attributes, keys and values together
 *     (default 16,384)
 */
public record InputLimits(int idBytes, int textBytes, int attributesBytes) implements Serializable {

  /** The defaults. */
  public static final InputLimits DEFAULTS = new InputLimits(1_024, 1_048_576, 16_384);

  public InputLimits {
    if (idBytes < 1 || textBytes < 1 || attributesBytes < 0) {
      throw new IllegalArgumentException(
          "limits must be positive: id "
              + idBytes
              + ", text "
              + textBytes
              + ", attributes "
              + attributesBytes);
    }
  }

  /** UTF-8 length of {@code s}, counted without encoding it (0 for null). */
  static long utf8Bytes(CharSequence s) {
    if (s == null) {
      return 0;
    }
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** UTF-8 bytes of the keys and values of {@code attributes}. */
  static long utf8Bytes(Map<String, String> attributes) {
    long n = 0;
    if (attributes != null) {
      for (Map.Entry<String, String> e : attributes.entrySet()) {
        n += utf8Bytes(e.getKey()) + utf8Bytes(e.getValue());
      }
    }
    return n;
  }

  /** Why {@code what} of {@code bytes} is over {@code limit} ({@code option}), or null. */
  static String over(String what, long bytes, int limit, String option) {
    return bytes <= limit
        ? null
        : what + " has " + bytes + " bytes, over the limit of " + limit + " (" + option + ")";
  }
}
