package io.twinstream.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** The deployment files of the checkout, read as the tools that apply them would read them. */
final class DeployFiles {

  private static final YAMLMapper YAML = new YAMLMapper();

  /** One document of a manifest file. */
  record Manifest(Path file, int index, JsonNode object) {

    String kind() {
      return object.path("kind").asString();
    }

    String apiVersion() {
      return object.path("apiVersion").asString();
    }

    String name() {
      return object.path("metadata").path("name").asString();
    }

    @Override
    public String toString() {
      return root().relativize(file) + "#" + index + " (" + kind() + " " + name() + ")";
    }
  }

  private DeployFiles() {}

  /** The root of the checkout: this module's parent directory. */
  static Path root() {
    return Path.of("").toAbsolutePath().getParent().normalize();
  }

  /** {@code docker-compose.yml} at the root. */
  static JsonNode compose() throws IOException {
    List<JsonNode> docs = documents(root().resolve("docker-compose.yml"));
    if (docs.size() != 1) {
      throw new IllegalStateException("docker-compose.yml holds " + docs.size() + " documents");
    }
    return docs.get(0);
  }

  /** Every document of every {@code .yaml} file under {@code deploy/k8s}. */
  static List<Manifest> kubernetesManifests() throws IOException {
    List<Manifest> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(root().resolve("deploy/k8s"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        List<JsonNode> docs = documents(file);
        for (int i = 0; i < docs.size(); i++) {
          out.add(new Manifest(file, i, docs.get(i)));
        }
      }
    }
    return out;
  }

  /** The manifests of one kind. */
  static List<Manifest> kubernetesManifests(String kind) throws IOException {
    return kubernetesManifests().stream().filter(m -> m.kind().equals(kind)).toList();
  }

  /** The manifest of {@code kind} named {@code name}. */
  static Manifest kubernetesManifest(String kind, String name) throws IOException {
    return kubernetesManifests(kind).stream()
        .filter(m -> m.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("deploy/k8s has no " + kind + " " + name));
  }

  /** The learning job's FlinkDeployment. */
  static Manifest learningJob() throws IOException {
    return kubernetesManifest("FlinkDeployment", "twinstream");
  }

  /** The YAML documents of a file ({@code ---} separated), empty ones left out. */
  static List<JsonNode> documents(Path file) throws IOException {
    return documents(Files.readString(file));
  }

  private static List<JsonNode> documents(String yaml) {
    List<JsonNode> out = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
          out.add(doc);
        }
      }
    }
    return out;
  }

  /** The YAML documents of a stream. */
  static List<JsonNode> documents(java.io.InputStream in) throws IOException {
    return documents(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
  }

  /** A YAML or JSON list of strings. */
  static List<String> strings(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.forEach(n -> out.add(n.asString()));
    return out;
  }
}
