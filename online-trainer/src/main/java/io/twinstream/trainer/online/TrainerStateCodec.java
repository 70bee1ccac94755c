package io.twinstream.trainer.online;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * The trainer's checkpointed state: JSON, each distinct text once, compressed. The JSON holds the
 * counters, the promotions announced but not yet made current, the distinct texts ({@code texts}),
 * and the buffer as rows {@code [anchor, candidate, label, eventTime, sequence, heldOut, weight?]}
 * (weight only when not 1) where anchor and candidate index {@code texts}: feedback repeats the
 * same documents and queries many times, and a document of 256 tokens is written once per
 * checkpoint, not once per pair. The whole is deflated behind a 4-byte mark ({@code TST2}). JSON
 * keeps the state readable (inflate it) and independent of Java class layouts; size and time are
 * measured in docs/benchmarks.md §6. States written before (plain JSON with texts in the rows)
 * still decode.
 */
public final class TrainerStateCodec {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] MARK = {'T', 'S', 'T', '2'};

  private TrainerStateCodec() {}

  /** Encodes a snapshot. */
  public static byte[] encode(TrainerState s) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
    bytes.write(MARK);
    Deflater deflater = new Deflater(Deflater.BEST_SPEED);
    try (DeflaterOutputStream deflated = new DeflaterOutputStream(bytes, deflater, 64 * 1024);
        JsonGenerator json = JSON.getFactory().createGenerator(deflated)) {
      Map<String, Integer> ids = new HashMap<>();
      List<String> texts = new ArrayList<>();
      int[][] refs = new int[s.buffer().size()][2];
      for (int i = 0; i < refs.length; i++) {
        Feedback f = s.buffer().get(i).feedback();
        refs[i][0] = ids.computeIfAbsent(f.anchor(), t -> add(texts, t));
        refs[i][1] = ids.computeIfAbsent(f.candidate(), t -> add(texts, t));
      }
      json.writeStartObject();
      json.writeNumberField("round", s.round());
      json.writeNumberField("newPairs", s.newPairs());
      json.writeNumberField("lastRoundMillis", s.lastRoundMillis());
      json.writeBooleanField("roundRunning", s.roundRunning());
      json.writeNumberField("servingSince", s.servingSince());
      json.writeArrayFieldStart("announcedPromotions");
      for (String v : s.announcedPromotions()) {
        json.writeString(v);
      }
      json.writeEndArray();
      json.writeArrayFieldStart("texts");
      for (String t : texts) {
        json.writeString(t);
      }
      json.writeEndArray();
      json.writeArrayFieldStart("buffer");
      for (int i = 0; i < refs.length; i++) {
        ReplayBuffer.Entry e = s.buffer().get(i);
        json.writeStartArray();
        json.writeNumber(refs[i][0]);
        json.writeNumber(refs[i][1]);
        json.writeNumber(e.feedback().label());
        json.writeNumber(e.feedback().eventTime());
        json.writeNumber(e.sequence());
        json.writeBoolean(e.heldOut());
        if (e.feedback().weight() != 1f) {
          json.writeNumber(e.feedback().weight());
        }
        json.writeEndArray();
      }
      json.writeEndArray();
      json.writeEndObject();
    } finally {
      deflater.end();
    }
    return bytes.toByteArray();
  }

  private static int add(List<String> texts, String text) {
    texts.add(text);
    return texts.size() - 1;
  }

  /** Decodes what {@link #encode} wrote (or the plain JSON of states written before it). */
  public static TrainerState decode(byte[] bytes) throws IOException {
    boolean compressed =
        bytes.length >= MARK.length && Arrays.equals(Arrays.copyOf(bytes, MARK.length), MARK);
    JsonNode root;
    if (compressed) {
      try (InputStream in =
          new InflaterInputStream(
              new ByteArrayInputStream(bytes, MARK.length, bytes.length - MARK.length))) {
        root = JSON.readTree(in);
      }
    } else {
      root = JSON.readTree(bytes);
    }
    JsonNode texts = root.get("texts"); // absent in the plain JSON of earlier states
    List<ReplayBuffer.Entry> entries = new ArrayList<>();
    for (JsonNode row : root.get("buffer")) {
      entries.add(
          new ReplayBuffer.Entry(
              new Feedback(
                  text(row.get(0), texts),
                  text(row.get(1), texts),
                  (float) row.get(2).asDouble(),
                  row.get(3).asLong(),
                  row.size() > 6 ? (float) row.get(6).asDouble() : 1f),
              row.get(4).asLong(),
              row.get(5).asBoolean()));
    }
    List<String> promotions = new ArrayList<>();
    JsonNode announced = root.get("announcedPromotions"); // absent in the earliest states
    if (announced != null) {
      announced.forEach(v -> promotions.add(v.asText()));
    }
    return new TrainerState(
        entries,
        root.get("round").asLong(),
        root.get("newPairs").asLong(),
        root.get("lastRoundMillis").asLong(),
        root.get("roundRunning").asBoolean(),
        promotions,
        root.has("servingSince") ? root.get("servingSince").asLong() : 0); // absent before 12-07
  }

  private static String text(JsonNode cell, JsonNode texts) {
    return texts == null ? cell.asText() : texts.get(cell.asInt()).asText();
  }
}
