package io.twinstream.reliability;

import io.twinstream.records.Embedding;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Records for the {@code sentences} topic, most of them hostile: random bytes, truncated and
 * wrong-schema Avro, unknown schema fingerprints, tombstones, empty, invisible and huge texts,
 * invalid UTF-8, control characters, ids and attributes over their limits, null keys; the rest
 * valid sentences of every script. Each says what the job must do with it.
 */
final class FuzzedRecords {

  /** What must become of a record. */
  enum Fate {
    /** an embedding under its id */
    EMBEDDED,
    /** a dead letter at its position, with a reason */
    DEAD_LETTER,
    /** either (invalid UTF-8: Avro decodes it with replacement characters) */
    EITHER,
    /** a tombstone of its key on the embeddings topic (the document is deleted downstream) */
    DELETED
  }

  /** One record to produce. */
  record Fuzzed(String kind, byte[] key, byte[] value, String id, Fate fate) {}

  private static final AvroCodec<Sentence> SENTENCES = AvroCodec.of(Sentence.class);
  private static final String[] SCRIPTS = {
    "Refund requested for order 55-1182.",
    "Le colis est arrivé avec deux jours de retard.",
    "配送が遅れています。注文番号は 4411 です。",
    "ההזמנה שלי לא הגיעה עדיין",
    "Заказ пришёл повреждённым, нужен возврат",
    "🚚📦 where is my parcel?? 😡",
    "tab\tand\u0000nul and \u0007 bell and \u001b escape characters",
    "\u202eright-to-left override text",
    "a\u00a0no-break\u2007space and a zero\u200bwidth one",
  };

  private FuzzedRecords() {}

  /** {@code count} records from {@code seed}; kinds in fixed proportions, order shuffled. */
  static List<Fuzzed> generate(int count, long seed) {
    Random random = new Random(seed);
    List<Fuzzed> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(one(i, random));
    }
    Collections.shuffle(out, random);
    return out;
  }

  private static Fuzzed one(int i, Random random) {
    String id = String.format("z-%05d", i);
    byte[] key = id.getBytes(StandardCharsets.UTF_8);
    int kind = i % 40;
    return switch (kind) {
      case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 ->
          valid("valid", key, id, SCRIPTS[random.nextInt(SCRIPTS.length)] + " #" + i, Map.of());
      case 10, 11 ->
          valid("valid, null key", null, id, "Sentence " + i + " without a key.", Map.of());
      case 12 -> valid("long document", key, id, longText(random, 2_000), Map.of());
      case 13 ->
          valid("id of 1,000 bytes", key, id + "-" + "i".repeat(993), "A long id.", Map.of());
      case 14 ->
          valid(
              "attributes of 15 KB",
              key,
              id,
              "Attributes near the limit.",
              Map.of("a", "v".repeat(15_000)));
      case 15, 16, 17, 18 -> raw("random bytes", key, randomBytes(random, random.nextInt(600)));
      case 19 -> new Fuzzed("tombstone", key, null, id, Fate.DELETED);
      case 20 -> raw("empty value", key, new byte[0]);
      case 21, 22 -> {
        byte[] whole = SENTENCES.encode(sentence(id, "Truncated record " + i, Map.of()));
        yield raw(
            "truncated Avro", key, Arrays.copyOf(whole, 1 + random.nextInt(whole.length - 1)));
      }
      case 23 -> raw("wrong schema (FeedbackPair)", key, feedbackPair(i));
      case 24 -> raw("wrong schema (Embedding)", key, embedding(id));
      case 25 -> {
        byte[] v = SENTENCES.encode(sentence(id, "Unknown fingerprint", Map.of()));
        for (int b = 2; b < 10; b++) {
          v[b] = (byte) random.nextInt(256);
        }
        yield raw("unknown schema fingerprint", key, v);
      }
      case 26 -> deadSentence("empty text", key, id, "");
      case 27 -> deadSentence("invisible text", key, id, "\u00a0\u200b \u2007\ufeff\t");
      case 28 -> deadSentence("empty id", key, "", "A sentence without an id.");
      case 29 -> deadSentence("id of 10 KB", key, "i".repeat(10_240), "An id over the limit.");
      case 30 -> {
        Sentence s = sentence(id, "Attributes over the limit.", Map.of("a", "v".repeat(20_000)));
        yield new Fuzzed("attributes of 20 KB", key, SENTENCES.encode(s), id, Fate.DEAD_LETTER);
      }
      case 31 -> new Fuzzed("invalid UTF-8 text", key, invalidUtf8(id, random), id, Fate.EITHER);
      case 32 ->
          valid(
              "control characters only around words",
              key,
              id,
              "\u0001\u0002 word \u0003",
              Map.of());
      case 33 ->
          new Fuzzed(
              "random bytes after a valid header",
              key,
              headerThenGarbage(random),
              null,
              Fate.EITHER);
      case 34 -> deadSentence("whitespace text", key, id, " \n\t ");
      case 35 -> valid("one character", key, id, "x", Map.of());
      case 36 -> valid("emoji only", key, id, "🙂🙃🙂", Map.of());
      case 37 ->
          i % 400 == 37
              ? valid("text of 900 KB", key, id, "Refund requested. ".repeat(50_000), Map.of())
              : valid("valid", key, id, "Plain sentence " + i + ".", Map.of());
      case 38 ->
          i % 400 == 38
              ? deadSentence("text of 1.5 MB", key, id, "w".repeat(1_500_000))
              : valid("valid", key, id, "Another sentence " + i + ".", Map.of());
      case 39 ->
          i % 1_000 == 39
              ? deadSentence(
                  "id of 600 KB, null key", null, "i".repeat(600_000), "The record of issue 12.")
              : valid("valid", key, id, "Yet another sentence " + i + ".", Map.of());
      default -> throw new IllegalStateException();
    };
  }

  private static Sentence sentence(String id, String text, Map<String, String> attributes) {
    return Sentence.newBuilder()
        .setId(id)
        .setText(text)
        .setAttributes(attributes)
        .setEventTime(Instant.ofEpochMilli(1_700_000_000_000L))
        .build();
  }

  private static Fuzzed valid(
      String kind, byte[] key, String id, String text, Map<String, String> attributes) {
    return new Fuzzed(
        kind, key, SENTENCES.encode(sentence(id, text, attributes)), id, Fate.EMBEDDED);
  }

  private static Fuzzed deadSentence(String kind, byte[] key, String id, String text) {
    return new Fuzzed(
        kind, key, SENTENCES.encode(sentence(id, text, Map.of())), id, Fate.DEAD_LETTER);
  }

  private static Fuzzed raw(String kind, byte[] key, byte[] value) {
    return new Fuzzed(kind, key, value, null, Fate.DEAD_LETTER);
  }

  private static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static String longText(Random random, int chars) {
    StringBuilder sb = new StringBuilder(chars + 16);
    while (sb.length() < chars) {
      sb.append(SCRIPTS[random.nextInt(6)]).append(' ');
    }
    return sb.substring(0, chars);
  }

  private static byte[] feedbackPair(int i) {
    return AvroCodec.of(FeedbackPair.class)
        .encode(
            FeedbackPair.newBuilder()
                .setAnchor("q" + i)
                .setCandidate("d" + i)
                .setLabel(1f)
                .setSource("fuzz")
                .setEventTime(Instant.EPOCH)
                .build());
  }

  private static byte[] embedding(String id) {
    return AvroCodec.of(Embedding.class)
        .encode(
            Embedding.newBuilder()
                .setId(id)
                .setModelVersion("v0")
                .setVector(List.of(0.5f, 0.5f))
                .setTruncated(false)
                .setTokenCount(2)
                .setEventTime(Instant.EPOCH)
                .setEmbeddedAt(Instant.EPOCH)
                .setAttributes(Map.of())
                .build());
  }

  /** A valid Sentence whose text bytes are then made invalid UTF-8 (same length). */
  private static byte[] invalidUtf8(String id, Random random) {
    String marker = "INVALIDUTF8MARK";
    byte[] v = SENTENCES.encode(sentence(id, "before " + marker + " after", Map.of()));
    byte[] m = marker.getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int at = 0; at + m.length <= v.length; at++) {
      for (int k = 0; k < m.length; k++) {
        if (v[at + k] != m[k]) {
          continue outer;
        }
      }
      byte[][] bad = {
        {(byte) 0xC3, (byte) 0x28}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}
      };
      for (int k = 0; k < m.length; k++) {
        byte[] b = bad[random.nextInt(bad.length)];
        v[at + k] = b[k % b.length];
      }
      break;
    }
    return v;
  }

  /** The single-object header of a Sentence, then random bytes. */
  private static byte[] headerThenGarbage(Random random) {
    byte[] v = SENTENCES.encode(sentence("h", "header", Map.of()));
    byte[] out = Arrays.copyOf(v, 10 + 1 + random.nextInt(300));
    for (int b = 10; b < out.length; b++) {
      out[b] = (byte) random.nextInt(256);
    }
    return out;
  }

  /** How many of each kind (for the report). */
  static Map<String, Integer> kinds(List<Fuzzed> records) {
    Map<String, Integer> out = new HashMap<>();
    records.forEach(r -> out.merge(r.kind(), 1, Integer::sum));
    return out;
  }
}
