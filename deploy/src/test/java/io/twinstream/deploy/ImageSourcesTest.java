package io.twinstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The images build from what the build produces: every {@code COPY} source of every Dockerfile is a
 * file or folder of the checkout after {@code mvn package}, the Flink image is the version the job
 * is built against, and what the compose file builds, mounts and scrapes exists.
 */
class ImageSourcesTest {

  private static final Pattern COPY = Pattern.compile("^COPY\\s+(.*)$");
  private static final Pattern BASE_FLINK =
      Pattern.compile("^ARG BASE=flink:(\\d+\\.\\d+\\.\\d+)-.*");

  /** Every Dockerfile under {@code deploy/}. */
  static List<Path> dockerfiles() throws IOException {
    try (Stream<Path> files = Files.walk(DeployFiles.root().resolve("deploy"), 2)) {
      return files.filter(f -> f.getFileName().toString().equals("Dockerfile")).sorted().toList();
    }
  }

  /** The sources of each COPY instruction (flags left out), relative to the build context. */
  static List<List<String>> copySources(Path dockerfile) throws IOException {
    List<List<String>> out = new ArrayList<>();
    for (String line : Files.readAllLines(dockerfile)) {
      Matcher m = COPY.matcher(line.trim());
      if (m.matches()) {
        List<String> words = new ArrayList<>(List.of(m.group(1).trim().split("\\s+")));
        words.removeIf(w -> w.startsWith("--"));
        out.add(words.subList(0, words.size() - 1));
      }
    }
    return out;
  }

  /** The build-context files a COPY source names (a glob in its last part). */
  static List<Path> resolve(String source) throws IOException {
    Path path = DeployFiles.root().resolve(source);
    String name = path.getFileName().toString();
    if (!name.contains("*")) {
      return Files.exists(path) ? List.of(path) : List.of();
    }
    List<Path> out = new ArrayList<>();
    if (Files.isDirectory(path.getParent())) {
      try (DirectoryStream<Path> s = Files.newDirectoryStream(path.getParent(), name)) {
        s.forEach(out::add);
      }
    }
    return out;
  }

  /** The job jar the Flink image copies into usrlib. */
  static Path flinkImageJobJar() throws IOException {
    return jobJar("deploy/flink/Dockerfile");
  }

  /** The job jar the backfill cluster's image copies into lib/. */
  static Path backfillImageJobJar() throws IOException {
    return jobJar("deploy/flink-backfill/Dockerfile");
  }

  private static Path jobJar(String dockerfile) throws IOException {
    for (List<String> sources : copySources(DeployFiles.root().resolve(dockerfile))) {
      for (String s : sources) {
        if (s.endsWith(".jar")) {
          List<Path> jars = resolve(s);
          assertEquals(1, jars.size(), s + " should name one jar: " + jars);
          return jars.get(0);
        }
      }
    }
    throw new AssertionError(dockerfile + " copies no jar");
  }

  @Test
  void everyCopySourceOfEveryImageIsSomethingTheBuildProduces() throws IOException {
    List<Path> dockerfiles = dockerfiles();
    assertEquals(3, dockerfiles.size(), dockerfiles.toString());
    for (Path dockerfile : dockerfiles) {
      List<List<String>> copies = copySources(dockerfile);
      assertTrue(!copies.isEmpty(), dockerfile + " copies nothing");
      for (List<String> sources : copies) {
        for (String source : sources) {
          assertEquals(
              1,
              resolve(source).size(),
              DeployFiles.root().relativize(dockerfile)
                  + ": COPY "
                  + source
                  + " must name exactly one file or folder (run mvn -DskipTests package first)");
        }
      }
    }
  }

  @Test
  void theFlinkImagesAreTheFlinkVersionTheJobIsBuiltAgainst() throws IOException {
    String version = EnvironmentInformation.getVersion();
    for (String image : List.of("deploy/flink/Dockerfile", "deploy/flink-backfill/Dockerfile")) {
      List<String> lines = Files.readAllLines(DeployFiles.root().resolve(image));
      String base = lines.stream().filter(l -> l.startsWith("ARG BASE=")).findFirst().orElseThrow();
      assertTrue(lines.contains("FROM ${BASE}"), image + " builds on its BASE argument");
      Matcher m = BASE_FLINK.matcher(base);
      assertTrue(m.matches(), image + ": " + base);
      assertEquals(version, m.group(1), image);
    }
    String operatorVersion =
        DeployFiles.learningJob().object().path("spec").path("flinkVersion").asString();
    String[] v = version.split("\\.");
    assertEquals("v" + v[0] + "_" + v[1], operatorVersion);
  }

  @Test
  void whatTheComposeFileBuildsMountsAndScrapesExists() throws IOException {
    JsonNode services = DeployFiles.compose().path("services");
    Set<String> built = new LinkedHashSet<>();
    for (Map.Entry<String, JsonNode> s : services.properties()) {
      JsonNode build = s.getValue().path("build");
      if (build.isObject()) {
        assertEquals(".", build.path("context").asString(), s.getKey());
        Path dockerfile = DeployFiles.root().resolve(build.path("dockerfile").asString());
        assertTrue(Files.isRegularFile(dockerfile), s.getKey() + ": " + dockerfile);
        built.add(s.getValue().path("image").asString());
      }
      for (JsonNode volume : s.getValue().path("volumes")) {
        String source = volume.asString().split(":")[0];
        if (source.startsWith("./")) {
          assertTrue(
              Files.exists(DeployFiles.root().resolve(source)), s.getKey() + " mounts " + source);
        } else {
          assertTrue(
              DeployFiles.compose().path("volumes").has(source),
              s.getKey() + " mounts volume " + source + ", which is not declared");
        }
      }
    }
    assertEquals(
        Set.of("twinstream:0.1.0", "twinstream-flink:0.1.0", "twinstream-flink-backfill:0.1.0"),
        built);
    // Every image a service runs is built here or pulled by a fixed tag.
    for (Map.Entry<String, JsonNode> s : services.properties()) {
      String image = s.getValue().path("image").asString();
      assertTrue(
          built.contains(image) || (image.contains(":") && !image.endsWith(":latest")),
          s.getKey() + " runs " + image);
    }
    // Prometheus scrapes the services at the ports they serve metrics on.
    JsonNode prometheus =
        DeployFiles.documents(DeployFiles.root().resolve("deploy/prometheus/prometheus.yml"))
            .get(0);
    for (JsonNode job : prometheus.path("scrape_configs")) {
      for (JsonNode target : job.path("static_configs").get(0).path("targets")) {
        String host = target.asString().split(":")[0];
        assertTrue(services.has(host), "Prometheus scrapes " + host + ", no service of that name");
      }
    }
  }
}
