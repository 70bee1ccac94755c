package io.twinstream.trainer.online;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trainer's checkpointed state as JSON: the counters, the promotions announced but not yet made
 * current, then the buffer as rows {@code [anchor, candidate, label, eventTime, sequence,
 * heldOut]}. JSON keeps the state readable with the State Processor API and independent of Java
 * class layouts; its cost is measured in docs/benchmarks.md §6.
 */
public final class TrainerStateCodec {

  private static final ObjectMapper JSON = new ObjectMapper();

  private TrainerStateCodec() {}

  /** Encodes a snapshot. */
  public static byte[] encode(TrainerState s) throws IOException {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("round", s.round());
    out.put("newPairs", s.newPairs());
    out.put("lastRoundMillis", s.lastRoundMillis());
    out.put("roundRunning", s.roundRunning());
    out.put("announcedPromotions", s.announcedPromotions());
    List<Object[]> rows = new ArrayList<>(s.buffer().size());
    for (ReplayBuffer.Entry e : s.buffer()) {
      Feedback f = e.feedback();
      rows.add(
          new Object[] {
            f.anchor(), f.candidate(), f.label(), f.eventTime(), e.sequence(), e.heldOut()
          });
    }
    out.put("buffer", rows);
    return JSON.writeValueAsBytes(out);
  }

  /** Decodes what {@link #encode} wrote. */
  public static TrainerState decode(byte[] bytes) throws IOException {
    JsonNode root = JSON.readTree(bytes);
    List<ReplayBuffer.Entry> entries = new ArrayList<>();
    for (JsonNode row : root.get("buffer")) {
      entries.add(
          new ReplayBuffer.Entry(
              new Feedback(
                  row.get(0).asText(),
                  row.get(1).asText(),
                  (float) row.get(2).asDouble(),
                  row.get(3).asLong()),
              row.get(4).asLong(),
              row.get(5).asBoolean()));
    }
    List<String> promotions = new ArrayList<>();
    JsonNode announced =
        root.get("announcedPromotions"); // absent in states written before it existed
    if (announced != null) {
      announced.forEach(v -> promotions.add(v.asText()));
    }
    return new TrainerState(
        entries,
        root.get("round").asLong(),
        root.get("newPairs").asLong(),
        root.get("lastRoundMillis").asLong(),
        root.get("roundRunning").asBoolean(),
        promotions);
  }
}
