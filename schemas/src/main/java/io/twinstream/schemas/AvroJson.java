package io.twinstream.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.IndexedRecord;

/**
 * Plain JSON for Avro records, for people and tools rather than for Avro: every field under its
 * schema name; timestamps as epoch milliseconds; bytes as base64; enums as their symbol; unions as
 * the value itself.
 */
public final class AvroJson {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private AvroJson() {}

  /** The record as a JSON object. */
  public static ObjectNode toJson(IndexedRecord record) {
    ObjectNode node = NODES.objectNode();
    for (Schema.Field field : record.getSchema().getFields()) {
      node.set(field.name(), value(record.get(field.pos())));
    }
    return node;
  }

  private static JsonNode value(Object v) {
    if (v == null) {
      return NODES.nullNode();
    } else if (v instanceof IndexedRecord r) {
      return toJson(r);
    } else if (v instanceof CharSequence s) {
      return NODES.textNode(s.toString());
    } else if (v instanceof Integer i) {
      return NODES.numberNode(i);
    } else if (v instanceof Long l) {
      return NODES.numberNode(l);
    } else if (v instanceof Float f) {
      return NODES.numberNode(f);
    } else if (v instanceof Double d) {
      return NODES.numberNode(d);
    } else if (v instanceof Boolean b) {
      return NODES.booleanNode(b);
    } else if (v instanceof Instant t) {
      return NODES.numberNode(t.toEpochMilli());
    } else if (v instanceof ByteBuffer b) {
      ByteBuffer copy = b.duplicate();
      byte[] bytes = new byte[copy.remaining()];
      copy.get(bytes);
      return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
    } else if (v instanceof GenericEnumSymbol<?> || v instanceof Enum<?>) {
      return NODES.textNode(v.toString());
    } else if (v instanceof Map<?, ?> m) {
      ObjectNode o = NODES.objectNode();
      m.forEach((k, val) -> o.set(k.toString(), value(val)));
      return o;
    } else if (v instanceof Collection<?> c) {
      ArrayNode a = NODES.arrayNode(c.size());
      c.forEach(x -> a.add(value(x)));
      return a;
    }
    return NODES.textNode(v.toString());
  }
}
