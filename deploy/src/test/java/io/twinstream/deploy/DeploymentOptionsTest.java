package io.twinstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.cli.TwinstreamCli;
import io.twinstream.deploy.DeployFiles.Manifest;
import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobArguments;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.store.StoreOptions;
import io.twinstream.joiner.JoinerArguments;
import io.twinstream.streamtrainer.TrainerOptions;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.MemorySize;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * Every setting the deployments make is one the program knows, with a value it accepts: the job's
 * arguments (its own options and {@code kafka.*}), Flink's configuration (keys of Flink's option
 * classes, values of their types), and the command lines of the joiner, the query server and the
 * model publisher — so a renamed option fails here, not in a cluster.
 */
class DeploymentOptionsTest {

  /** Every key of every public {@code ConfigOption} in Flink's jars on this class path. */
  private static Map<String, ConfigOption<?>> flinkOptions;

  @Test
  void theJobArgumentsOfComposeAndTheFlinkDeploymentAreOptionsOfTheJob() throws Exception {
    Map<String, List<String>> jobs = new LinkedHashMap<>();
    List<String> command = DeployFiles.strings(service("jobmanager").path("command"));
    assertEquals("standalone-job", command.get(0));
    assertEquals("--job-classname", command.get(1));
    jobs.put("docker-compose.yml jobmanager", jobArguments(command));
    Manifest flink = DeployFiles.learningJob();
    jobs.put(
        flink.toString(),
        DeployFiles.strings(flink.object().path("spec").path("job").path("args")));
    Map<String, ConfigOption<?>> known = new HashMap<>();
    for (List<ConfigOption<?>> options :
        List.of(JobOptions.all(), EmbedderOptions.all(), StoreOptions.ALL, TrainerOptions.all())) {
      options.forEach(o -> known.put(o.key(), o));
    }
    for (Map.Entry<String, List<String>> job : jobs.entrySet()) {
      Configuration conf = JobArguments.parse(job.getValue().toArray(String[]::new));
      for (String key : conf.keySet()) {
        if (key.startsWith(JobOptions.KAFKA_PREFIX)) {
          continue;
        }
        ConfigOption<?> option = known.get(key);
        assertTrue(option != null, job.getKey() + ": " + key + " is no option of the job");
        conf.get(option); // parses the value as the job will: a wrong type or enum fails here
      }
      // What the job checks before it builds anything.
      TrainerOptions.validate(conf);
      StoreOptions.spec(conf);
    }
  }

  @Test
  void anUnknownJobArgumentIsCaught() throws Exception {
    Configuration conf = JobArguments.parse("bootstrap.servers=kafka:9092", "modle=registry");
    assertTrue(conf.keySet().contains("modle"));
    assertTrue(
        JobOptions.all().stream().noneMatch(o -> o.key().equals("modle")),
        "the check above relies on unknown keys reaching the configuration");
  }

  @Test
  void flinkSettingsAreFlinkOptionsWithValuesOfTheirTypes() throws Exception {
    Map<String, Map<String, String>> settings = new LinkedHashMap<>();
    settings.put("docker-compose.yml jobmanager", flinkProperties("jobmanager"));
    settings.put("docker-compose.yml taskmanager", flinkProperties("taskmanager"));
    settings.put("docker-compose.yml backfill-jobmanager", flinkProperties("backfill-jobmanager"));
    settings.put(
        "docker-compose.yml backfill-taskmanager", flinkProperties("backfill-taskmanager"));
    for (Manifest flink : DeployFiles.kubernetesManifests("FlinkDeployment")) {
      Map<String, String> k8s = new LinkedHashMap<>();
      flink
          .object()
          .path("spec")
          .path("flinkConfiguration")
          .properties()
          .forEach(e -> k8s.put(e.getKey(), e.getValue().asString()));
      settings.put(flink.toString(), k8s);
    }
    assertEquals(
        flinkProperties("jobmanager"),
        flinkProperties("taskmanager"),
        "the JobManager and the TaskManager of the compose file run with the same settings");
    assertEquals(
        flinkProperties("backfill-jobmanager"),
        flinkProperties("backfill-taskmanager"),
        "the backfill cluster's JobManager and TaskManager run with the same settings");
    for (Map.Entry<String, Map<String, String>> source : settings.entrySet()) {
      Configuration conf = Configuration.fromMap(source.getValue());
      for (String key : source.getValue().keySet()) {
        if (key.matches("metrics\\.reporter\\.[^.]+\\.port")
            && source
                .getValue()
                .getOrDefault(key.replace(".port", ".factory.class"), "")
                .equals("org.apache.flink.metrics.prometheus.PrometheusReporterFactory")) {
          // The Prometheus reporter reads its port as a plain argument, not a ConfigOption.
          assertTrue(source.getValue().get(key).matches("\\d+(-\\d+)?"), key);
          continue;
        }
        ConfigOption<?> option = flinkOption(key);
        assertTrue(option != null, source.getKey() + ": " + key + " is no Flink option");
        conf.get(option);
      }
    }
  }

  @Test
  void theCommandLinesOfTheJoinerTheQueryServerTheControllerAndTheModelPublisherParse()
      throws Exception {
    List<List<String>> cli = new ArrayList<>();
    cli.add(DeployFiles.strings(service("query-server").path("command")));
    cli.add(DeployFiles.strings(service("controller").path("command")));
    cli.add(publishCommand());
    for (Manifest d : DeployFiles.kubernetesManifests("Deployment")) {
      List<String> args = containerArgs(d);
      if (args.get(0).equals("joiner")) {
        JoinerArguments.parse(args.subList(1, args.size()).toArray(String[]::new));
      } else {
        cli.add(args);
      }
    }
    List<String> joiner = DeployFiles.strings(service("joiner").path("command"));
    assertEquals("joiner", joiner.get(0));
    JoinerArguments.parse(joiner.subList(1, joiner.size()).toArray(String[]::new));
    for (List<String> args : cli) {
      CommandLine command = new CommandLine(new TwinstreamCli());
      command.setCaseInsensitiveEnumValuesAllowed(true);
      command.parseArgs(args.toArray(String[]::new)); // throws on an unknown option or a bad value
    }
    assertThrows(
        CommandLine.UnmatchedArgumentException.class,
        () -> new CommandLine(new TwinstreamCli()).parseArgs("serve", "--stor=pgvector"));
  }

  @Test
  void theControllersSubmitBackfillsToASessionClusterWithTheJobJarInLib() throws Exception {
    List<String> compose = DeployFiles.strings(service("controller").path("command"));
    JsonNode jobManager = service("backfill-jobmanager");
    assertTrue(
        compose.contains(
            "--backfill-cluster=http://backfill-jobmanager:"
                + jobManager.path("ports").get(0).asString().split(":")[1]),
        compose.toString());
    assertEquals("jobmanager", jobManager.path("command").asString(), "a session cluster");
    assertEquals(
        "deploy/flink-backfill/Dockerfile", jobManager.path("build").path("dockerfile").asString());
    assertEquals(
        jobManager.path("image").asString(),
        service("backfill-taskmanager").path("image").asString());

    Manifest cluster = DeployFiles.kubernetesManifest("FlinkDeployment", "twinstream-backfill");
    assertTrue(cluster.object().path("spec").path("job").isMissingNode(), "a session cluster");
    assertEquals(
        jobManager.path("image").asString(),
        cluster.object().path("spec").path("image").asString());
    List<String> k8s =
        containerArgs(DeployFiles.kubernetesManifest("Deployment", "twinstream-controller"));
    // The operator's REST service of a FlinkDeployment is NAME-rest, on Flink's REST port.
    assertTrue(
        k8s.contains("--backfill-cluster=http://" + cluster.name() + "-rest:8081"), k8s.toString());
    assertTrue(
        Files.readString(DeployFiles.root().resolve("deploy/flink-backfill/Dockerfile"))
            .contains(" /opt/flink/lib/twinstream-job.jar"),
        "the backfill image has the job jar in lib/");
  }

  @Test
  void theTaskManagersHaveASlotForEveryEmbeddingSubtaskAndOneForTheTrainer() throws Exception {
    // compose: one TaskManager; the job's parallelism is Flink's parallelism.default there.
    Map<String, String> compose = flinkProperties("taskmanager");
    Configuration composeJob =
        JobArguments.parse(
            jobArguments(DeployFiles.strings(service("jobmanager").path("command")))
                .toArray(String[]::new));
    assertTrue(
        Integer.parseInt(compose.get("taskmanager.numberOfTaskSlots"))
            >= Integer.parseInt(compose.get("parallelism.default"))
                + (composeJob.get(TrainerOptions.ENABLED) ? 1 : 0),
        "docker-compose.yml: too few slots for " + compose);
    Manifest flink = DeployFiles.learningJob();
    JsonNode spec = flink.object().path("spec");
    Configuration k8sJob =
        JobArguments.parse(
            DeployFiles.strings(spec.path("job").path("args")).toArray(String[]::new));
    int slots =
        spec.path("taskManager").path("replicas").asInt(1)
            * Integer.parseInt(
                spec.path("flinkConfiguration").path("taskmanager.numberOfTaskSlots").asString());
    int needed =
        spec.path("job").path("parallelism").asInt() + (k8sJob.get(TrainerOptions.ENABLED) ? 1 : 0);
    assertTrue(slots >= needed, flink + ": " + slots + " slots for " + needed + " subtasks");
  }

  /** The job's arguments in a {@code standalone-job --job-classname CLASS ...} command. */
  private static List<String> jobArguments(List<String> command) {
    return command.subList(3, command.size());
  }

  @Test
  void theJobClassesTheDeploymentsStartAreInTheJarTheImageCopies() throws Exception {
    Path jar = ImageSourcesTest.flinkImageJobJar();
    Manifest flink = DeployFiles.learningJob();
    List<String> classes =
        List.of(
            DeployFiles.strings(service("jobmanager").path("command")).get(2),
            flink.object().path("spec").path("job").path("entryClass").asString());
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      for (String c : classes) {
        assertTrue(zip.getEntry(c.replace('.', '/') + ".class") != null, c + " is not in " + jar);
      }
    }
    assertEquals(
        "local:///opt/flink/usrlib/twinstream-job.jar",
        flink.object().path("spec").path("job").path("jarURI").asString());
  }

  @Test
  void everyComposeServiceRunsUnderAMemoryLimitThatHoldsItsFlinkProcess() throws IOException {
    JsonNode services = DeployFiles.compose().path("services");
    for (String name : services.propertyNames()) {
      String limit = services.path(name).path("mem_limit").asString("");
      assertTrue(!limit.isBlank(), name + " has no mem_limit");
      Map<String, String> flink =
          services.path(name).path("environment").has("FLINK_PROPERTIES")
              ? flinkProperties(name)
              : Map.of();
      for (String key :
          List.of("jobmanager.memory.process.size", "taskmanager.memory.process.size")) {
        boolean itsProcess = name.contains("taskmanager") == key.startsWith("taskmanager");
        if (itsProcess && flink.containsKey(key)) {
          assertTrue(
              MemorySize.parse(limit).getBytes() >= MemorySize.parse(flink.get(key)).getBytes(),
              name + ": mem_limit " + limit + " is below its " + key + " " + flink.get(key));
        }
      }
    }
  }

  private static JsonNode service(String name) throws IOException {
    JsonNode s = DeployFiles.compose().path("services").path(name);
    assertTrue(s.isObject(), "docker-compose.yml has no service " + name);
    return s;
  }

  /** The arguments of a Deployment's (first) container. */
  private static List<String> containerArgs(Manifest deployment) {
    return DeployFiles.strings(
        deployment
            .object()
            .path("spec")
            .path("template")
            .path("spec")
            .path("containers")
            .get(0)
            .path("args"));
  }

  /** FLINK_PROPERTIES of a compose service: YAML lines {@code key: value}. */
  private static Map<String, String> flinkProperties(String service) throws IOException {
    String block = service(service).path("environment").path("FLINK_PROPERTIES").asString();
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : block.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(": ");
      assertTrue(colon > 0, service + ": FLINK_PROPERTIES line is not 'key: value': " + line);
      out.put(line.substring(0, colon).trim(), line.substring(colon + 2).trim());
    }
    assertTrue(!out.isEmpty(), service + " sets no FLINK_PROPERTIES");
    return out;
  }

  /** The model publisher's command line inside the model-init service's shell command. */
  private static List<String> publishCommand() throws IOException {
    String shell = DeployFiles.strings(service("model-init").path("command")).get(0);
    String cli = "/opt/twinstream/twinstream ";
    return List.of(shell.substring(shell.indexOf(cli) + cli.length()).trim().split("\\s+"));
  }

  /**
   * Flink's option for {@code key}, also for a reporter's {@code metrics.reporter.NAME.SUFFIX} (a
   * key of Flink's reporter options, or of the reporter's own).
   */
  private static ConfigOption<?> flinkOption(String key) throws IOException {
    Map<String, ConfigOption<?>> options = flinkOptions();
    if (key.startsWith("metrics.reporter.")) {
      String suffix = key.substring("metrics.reporter.".length());
      suffix = suffix.substring(suffix.indexOf('.') + 1);
      return options.get(suffix);
    }
    return options.get(key);
  }

  private static synchronized Map<String, ConfigOption<?>> flinkOptions() throws IOException {
    if (flinkOptions != null) {
      return flinkOptions;
    }
    Map<String, ConfigOption<?>> out = new HashMap<>();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      Path jar = Path.of(entry);
      if (!jar.getFileName().toString().startsWith("flink-") || !entry.endsWith(".jar")) {
        continue;
      }
      try (ZipFile zip = new ZipFile(jar.toFile())) {
        for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
          String name = e.nextElement().getName();
          if (name.startsWith("org/apache/flink/") && name.endsWith("Options.class")) {
            collect(name.substring(0, name.length() - 6).replace('/', '.'), out);
          }
        }
      }
    }
    flinkOptions = out;
    return out;
  }

  private static void collect(String className, Map<String, ConfigOption<?>> out) {
    Class<?> c;
    try {
      c = Class.forName(className, false, DeploymentOptionsTest.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      return; // a class of an optional dependency that is not here
    }
    Field[] fields;
    try {
      fields = c.getFields();
    } catch (LinkageError e) {
      return;
    }
    for (Field f : fields) {
      if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
        try {
          ConfigOption<?> o = (ConfigOption<?>) f.get(null);
          out.putIfAbsent(o.key(), o);
          for (FallbackKey k : o.fallbackKeys()) {
            out.putIfAbsent(k.getKey(), o);
          }
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
          // skipped: an option that cannot be read is one nothing here can set
        }
      }
    }
  }
}
