package io.twinstream.joiner;

import io.twinstream.records.Interaction;
import io.twinstream.records.InteractionType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the joiner knows about one open search: its query, the documents shown (with the text each
 * had when it was shown) and the clicks, in arrival order, without repeats. Plain Java; stored in
 * the joiner's state store in the compact binary form of {@link #toBytes()}.
 */
public final class SearchLog {

  private static final byte FORMAT = 1;

  /** Where an event was read, so that it can be dead-lettered later. */
  public record Origin(String topic, int partition, long offset) {
    public String position() {
      return topic + "-" + partition + "@" + offset;
    }
  }

  /** A document shown at a 0-based rank, with its text then (null if unknown then). */
  public record Shown(String docId, int position, String text, long time, Origin origin) {}

  /** A click on a document, with the rank the front end reported and the dwell time if known. */
  public record Click(String docId, int position, long time, Long dwellMillis, Origin origin) {}

  private final String queryId;
  private final String queryText;
  private final String sessionId;
  private final List<Shown> shown = new ArrayList<>();
  private final List<Click> clicks = new ArrayList<>();
  private long lastEventTime;
  private int duplicates;

  public SearchLog(String queryId, String queryText, String sessionId) {
    this.queryId = queryId;
    this.queryText = queryText;
    this.sessionId = sessionId;
  }

  /**
   * The key that groups a search's events: the request id when the front end sends one, else the
   * session and the query id.
   */
  public static String searchKey(Interaction event) {
    CharSequence request = event.getRequestId();
    if (request != null && request.length() > 0) {
      return "r:" + request;
    }
    return "s:" + event.getSessionId() + "\u0000" + event.getQueryId();
  }

  /**
   * Adds {@code event}; {@code textNow} is the document's current text (null if unknown).
   *
   * @return false if the event repeats one already added (same type and document; for an impression
   *     also the same rank), which is then only counted
   */
  public boolean add(Interaction event, String textNow, Origin origin) {
    String docId = event.getDocId().toString();
    long time = event.getTs().toEpochMilli();
    lastEventTime = Math.max(lastEventTime, time);
    if (event.getType() == InteractionType.IMPRESSION) {
      for (Shown s : shown) {
        if (s.docId().equals(docId) && s.position() == event.getPosition()) {
          duplicates++;
          return false;
        }
      }
      shown.add(new Shown(docId, event.getPosition(), textNow, time, origin));
    } else {
      for (Click c : clicks) {
        if (c.docId().equals(docId)) {
          duplicates++;
          return false;
        }
      }
      clicks.add(new Click(docId, event.getPosition(), time, event.getDwellMillis(), origin));
    }
    return true;
  }

  public String queryId() {
    return queryId;
  }

  public String queryText() {
    return queryText;
  }

  public String sessionId() {
    return sessionId;
  }

  public List<Shown> shown() {
    return List.copyOf(shown);
  }

  public List<Click> clicks() {
    return List.copyOf(clicks);
  }

  /** The latest event time seen (epoch millis). */
  public long lastEventTime() {
    return lastEventTime;
  }

  /** Repeated events dropped so far. */
  public int duplicates() {
    return duplicates;
  }

  /** The state store's form. */
  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeUTF(queryId);
      writeNullable(out, queryText);
      out.writeUTF(sessionId);
      out.writeLong(lastEventTime);
      out.writeInt(duplicates);
      out.writeInt(shown.size());
      for (Shown s : shown) {
        out.writeUTF(s.docId());
        out.writeInt(s.position());
        writeNullable(out, s.text());
        out.writeLong(s.time());
        writeOrigin(out, s.origin());
      }
      out.writeInt(clicks.size());
      for (Click c : clicks) {
        out.writeUTF(c.docId());
        out.writeInt(c.position());
        out.writeLong(c.time());
        out.writeLong(c.dwellMillis() == null ? -1 : c.dwellMillis());
        writeOrigin(out, c.origin());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Reads {@link #toBytes()}.
   *
   * @throws IllegalArgumentException if the bytes are not a search log of a known format
   */
  public static SearchLog fromBytes(byte[] data) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
      byte format = in.readByte();
      if (format != FORMAT) {
        throw new IllegalArgumentException("unknown search-log format " + format);
      }
      String queryId = in.readUTF();
      String queryText = readNullable(in);
      SearchLog log = new SearchLog(queryId, queryText, in.readUTF());
      log.lastEventTime = in.readLong();
      log.duplicates = in.readInt();
      int shownCount = in.readInt();
      for (int i = 0; i < shownCount; i++) {
        log.shown.add(
            new Shown(in.readUTF(), in.readInt(), readNullable(in), in.readLong(), readOrigin(in)));
      }
      int clickCount = in.readInt();
      for (int i = 0; i < clickCount; i++) {
        String docId = in.readUTF();
        int position = in.readInt();
        long time = in.readLong();
        long dwell = in.readLong();
        log.clicks.add(new Click(docId, position, time, dwell < 0 ? null : dwell, readOrigin(in)));
      }
      return log;
    } catch (IOException e) {
      throw new IllegalArgumentException("damaged search log: " + e.getMessage(), e);
    }
  }

  // writeUTF is limited to 64 KiB of modified UTF-8; document texts may be longer.
  private static void writeNullable(DataOutputStream out, String text) throws IOException {
    if (text == null) {
      out.writeInt(-1);
      return;
    }
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    out.writeInt(utf8.length);
    out.write(utf8);
  }

  private static String readNullable(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0) {
      return null;
    }
    byte[] utf8 = in.readNBytes(length);
    if (utf8.length != length) {
      throw new IOException("truncated text");
    }
    return new String(utf8, StandardCharsets.UTF_8);
  }

  private static void writeOrigin(DataOutputStream out, Origin origin) throws IOException {
    out.writeUTF(origin.topic());
    out.writeInt(origin.partition());
    out.writeLong(origin.offset());
  }

  private static Origin readOrigin(DataInputStream in) throws IOException {
    return new Origin(in.readUTF(), in.readInt(), in.readLong());
  }
}
