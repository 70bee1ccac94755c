package io.twinstream.deploy;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.dialect.Dialects;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The vendored schemas (test resources {@code schemas/}, see their PROVENANCE.md): the Compose
 * specification, and the {@code openAPIV3Schema} of each custom resource's served version.
 */
final class Schemas {

  private static final JsonMapper JSON = new JsonMapper();

  /** CRD files, one per custom resource kind. */
  private static final Map<String, String> CRDS =
      Map.of(
          "flink.apache.org/v1beta1/FlinkDeployment",
          "schemas/flink-kubernetes-operator-1.15.0/flinkdeployments.flink.apache.org-v1.yml",
          "kafka.strimzi.io/v1/Kafka",
          "schemas/strimzi-1.2.0/040-Crd-kafka.yaml",
          "kafka.strimzi.io/v1/KafkaTopic",
          "schemas/strimzi-1.2.0/043-Crd-kafkatopic.yaml",
          "kafka.strimzi.io/v1/KafkaNodePool",
          "schemas/strimzi-1.2.0/045-Crd-kafkanodepool.yaml");

  private static final Map<String, Schema> CACHE = new HashMap<>();

  private Schemas() {}

  /** The Compose specification's JSON schema (draft 7). */
  static Schema compose() {
    try (InputStream in = resource("schemas/compose-spec/compose-spec.json")) {
      // Its $id is relative (compose_spec.json): resolved against where the specification lives.
      return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7)
          .getSchema(
              SchemaLocation.of("https://github.com/compose-spec/compose-spec/schema/"),
              JSON.readTree(in));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether a vendored CRD defines {@code apiVersion}/{@code kind}. */
  static boolean isCustomResource(String apiVersion, String kind) {
    return CRDS.containsKey(apiVersion + "/" + kind);
  }

  /**
   * The schema of a custom resource as a server with strict field validation applies it ({@code
   * kubectl apply}'s default): the CRD's OpenAPI v3 schema, with every object that lists its
   * properties closed to others unless it preserves unknown fields, and {@code apiVersion}, {@code
   * kind} and {@code metadata} allowed at the top.
   */
  static synchronized Schema customResource(String apiVersion, String kind) throws IOException {
    String key = apiVersion + "/" + kind;
    Schema cached = CACHE.get(key);
    if (cached != null) {
      return cached;
    }
    String file = CRDS.get(key);
    if (file == null) {
      throw new IllegalArgumentException("no vendored CRD for " + key);
    }
    JsonNode crd;
    try (InputStream in = resource(file)) {
      crd = DeployFiles.documents(in).get(0);
    }
    String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
    ObjectNode schema = null;
    for (JsonNode v : crd.path("spec").path("versions")) {
      if (v.path("name").asString().equals(version) && v.path("served").asBoolean()) {
        schema = (ObjectNode) v.path("schema").path("openAPIV3Schema").deepCopy();
      }
    }
    if (schema == null) {
      throw new IllegalArgumentException(file + " serves no version " + version);
    }
    ObjectNode properties = (ObjectNode) schema.path("properties");
    properties.set(
        "apiVersion", JSON.readTree("{\"type\":\"string\",\"enum\":[\"" + apiVersion + "\"]}"));
    properties.set("kind", JSON.readTree("{\"type\":\"string\",\"enum\":[\"" + kind + "\"]}"));
    properties.set(
        "metadata",
        JSON.readTree(
            "{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":{\"type\":"
                + "\"string\",\"pattern\":\"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$\"},\"namespace\":"
                + "{\"type\":\"string\"},\"labels\":{\"type\":\"object\",\"additionalProperties\":"
                + "{\"type\":\"string\"}},\"annotations\":{\"type\":\"object\","
                + "\"additionalProperties\":{\"type\":\"string\"}}},\"additionalProperties\":false}"));
    close(schema);
    Schema compiled =
        SchemaRegistry.withDefaultDialect(Dialects.getOpenApi30())
            .getSchema(SchemaLocation.of("urn:twinstream:" + key), schema);
    CACHE.put(key, compiled);
    return compiled;
  }

  /** Objects with listed properties take no others, unless they preserve unknown fields. */
  private static void close(JsonNode node) {
    if (node instanceof ObjectNode o) {
      if (o.has("properties")
          && !o.has("additionalProperties")
          && !o.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
        o.put("additionalProperties", false);
      }
      o.forEach(Schemas::close);
    } else if (node.isArray()) {
      node.forEach(Schemas::close);
    }
  }

  /** The errors of {@code instance} against {@code schema}, one readable line each. */
  static List<String> errors(Schema schema, JsonNode instance) {
    List<Error> errors = schema.validate(instance);
    return errors.stream().map(e -> e.getInstanceLocation() + ": " + e.getMessage()).toList();
  }

  private static InputStream resource(String name) {
    InputStream in = Schemas.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException("missing test resource " + name);
    }
    return in;
  }
}
