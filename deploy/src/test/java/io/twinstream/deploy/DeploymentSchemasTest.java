package io.twinstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.deploy.DeployFiles.Manifest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code docker-compose.yml} and every manifest of {@code deploy/k8s} against their schemas: the
 * Compose specification, the vendored CRDs (Flink Kubernetes Operator, Strimzi) with strict field
 * validation, and Kubernetes' own schemas for its core objects — what {@code docker compose config}
 * and {@code kubectl apply --dry-run=server} would reject, without Docker or a cluster.
 */
class DeploymentSchemasTest {

  private static final JsonMapper JSON = new JsonMapper();

  @Test
  void theComposeFileFollowsTheComposeSpecification() throws IOException {
    assertEquals(List.of(), Schemas.errors(Schemas.compose(), DeployFiles.compose()));
  }

  @Test
  void aMisspelledComposeKeyIsRejected() throws IOException {
    ObjectNode compose = (ObjectNode) DeployFiles.compose().deepCopy();
    ObjectNode joiner = (ObjectNode) compose.path("services").path("joiner");
    joiner.set("comand", joiner.remove("command"));
    assertFalse(Schemas.errors(Schemas.compose(), compose).isEmpty(), "comand is no Compose key");
  }

  @Test
  void everyCustomResourceFollowsItsVendoredDefinition() throws IOException {
    List<Manifest> custom =
        DeployFiles.kubernetesManifests().stream()
            .filter(m -> Schemas.isCustomResource(m.apiVersion(), m.kind()))
            .toList();
    assertEquals(
        Set.of("FlinkDeployment", "Kafka", "KafkaNodePool", "KafkaTopic"),
        custom.stream().map(Manifest::kind).collect(Collectors.toSet()));
    for (Manifest m : custom) {
      assertEquals(
          List.of(),
          Schemas.errors(Schemas.customResource(m.apiVersion(), m.kind()), m.object()),
          m.toString());
    }
  }

  @Test
  void aMisspelledOrMistypedFieldOfACustomResourceIsRejected() throws IOException {
    Manifest flink = DeployFiles.learningJob();
    ObjectNode misspelled = (ObjectNode) flink.object().deepCopy();
    ObjectNode job = (ObjectNode) misspelled.path("spec").path("job");
    job.set("upgradMode", job.remove("upgradeMode"));
    assertFalse(
        Schemas.errors(Schemas.customResource(flink.apiVersion(), flink.kind()), misspelled)
            .isEmpty(),
        "upgradMode is no field of a FlinkDeployment's job");
    ObjectNode mistyped = (ObjectNode) flink.object().deepCopy();
    ((ObjectNode) mistyped.path("spec")).put("flinkVersion", "v2_99");
    assertFalse(
        Schemas.errors(Schemas.customResource(flink.apiVersion(), flink.kind()), mistyped)
            .isEmpty(),
        "v2_99 is no Flink version the operator knows");
  }

  @Test
  void everyCoreObjectFollowsKubernetesOwnSchema() throws Exception {
    List<Manifest> core =
        DeployFiles.kubernetesManifests().stream()
            .filter(m -> !Schemas.isCustomResource(m.apiVersion(), m.kind()))
            .filter(m -> !m.kind().equals("Kustomization"))
            .toList();
    assertEquals(
        Set.of("Deployment", "Service", "PersistentVolumeClaim"),
        core.stream().map(Manifest::kind).collect(Collectors.toSet()));
    List<String> answers = kubernetesModels(core);
    assertEquals(core.size(), answers.size(), String.join("\n", answers));
    for (String answer : answers) {
      assertTrue(answer.startsWith("ok "), answer);
    }
  }

  @Test
  void aCoreObjectMissingARequiredFieldIsRejected() throws Exception {
    Manifest deployment = DeployFiles.kubernetesManifests("Deployment").get(0);
    ObjectNode broken = (ObjectNode) deployment.object().deepCopy();
    ((ObjectNode) broken.path("spec")).remove("selector");
    ((ObjectNode) broken.path("spec")).put("replicas", "two");
    Manifest bad = new Manifest(deployment.file(), deployment.index(), broken);
    List<String> answers = kubernetesModels(List.of(bad));
    assertEquals(1, answers.size());
    assertTrue(answers.get(0).startsWith("invalid "), answers.get(0));
    assertTrue(answers.get(0).contains("selector"), answers.get(0));
  }

  @Test
  void theKustomizationListsEveryManifestFile() throws IOException {
    Path k8s = DeployFiles.root().resolve("deploy/k8s");
    JsonNode kustomization = DeployFiles.documents(k8s.resolve("kustomization.yaml")).get(0);
    Set<String> files;
    try (Stream<Path> list = Files.list(k8s)) {
      files =
          list.map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
              .collect(Collectors.toCollection(TreeSet::new));
    }
    assertEquals(files, new TreeSet<>(DeployFiles.strings(kustomization.path("resources"))));
  }

  /**
   * Runs {@code deploy/kubernetes-schemas/validate.mjs} (kubernetes-models, installed by the
   * build's {@code npm ci}) on the objects; one answer line per object.
   */
  private static List<String> kubernetesModels(List<Manifest> objects) throws Exception {
    Path dir = DeployFiles.root().resolve("deploy/kubernetes-schemas");
    if (!Files.isDirectory(dir.resolve("node_modules/kubernetes-models"))) {
      throw new IllegalStateException(
          "kubernetes-models is not installed: run `npm ci` in " + dir + " (the build does)");
    }
    ArrayNode input = JSON.createArrayNode();
    for (Manifest m : objects) {
      input.addObject().put("source", m.toString()).set("object", m.object());
    }
    Process node =
        new ProcessBuilder("node", "validate.mjs")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    try (OutputStream in = node.getOutputStream()) {
      in.write(JSON.writeValueAsBytes(input));
    }
    String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(node.waitFor(60, TimeUnit.SECONDS), "validate.mjs did not finish");
    List<String> lines = new ArrayList<>(out.lines().filter(l -> !l.isBlank()).toList());
    assertTrue(node.exitValue() <= 1, "validate.mjs failed:\n" + out);
    return lines;
  }
}
