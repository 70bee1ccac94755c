package io.twinstream.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.BundleWriter;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.records.Embedding;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.KafkaRecords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.apache.flink.client.program.PackagedProgram;
import org.apache.flink.client.program.PackagedProgramUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the job jars built by {@code mvn package} may contain, and that the lean one runs: the
 * embedding-only jar carries no libtorch, no Kafka server, no test kit, no trainer and no model
 * files, and is at most a third of the one job jar it replaces; the trainer's jar carries libtorch
 * but no broker or test kit; and the embedding jar, submitted to a Flink cluster like {@code flink
 * run} would, embeds a topic with a model from a registry.
 */
class JobJarsIT {

  /**
   * The one job jar before it was split (commit 81cf57b), in bytes: embedding and trainer, always.
   */
  private static final long SINGLE_JOB_JAR_BYTES = 283_359_472L;

  /**
   * Flink's own packages load from the cluster's class path, as on a real cluster; the connector,
   * format and connector-base packages (and everything else) from the job jar first. This test's
   * class path holds all of Twinstream and the Kafka connector too, so Flink's default
   * ("org.apache.flink." first from the cluster) would run the connector from here with the jar's
   * Kafka clients: not what a cluster without them does.
   */
  private static final String PARENT_FIRST =
      String.join(
          ";",
          "java.",
          "scala.",
          "org.apache.flink.api.",
          "org.apache.flink.core.",
          "org.apache.flink.configuration.",
          "org.apache.flink.util.",
          "org.apache.flink.runtime.",
          "org.apache.flink.streaming.api.",
          "org.apache.flink.streaming.runtime.",
          "org.apache.flink.streaming.util.",
          "org.apache.flink.metrics.",
          "org.apache.flink.shaded.",
          "org.apache.flink.types.",
          "org.apache.flink.annotation.",
          "org.apache.flink.client.",
          "org.apache.flink.state.",
          "org.apache.flink.changelog.",
          "org.apache.flink.management.",
          "com.esotericsoftware.kryo",
          "org.apache.hadoop.",
          "javax.annotation.",
          "org.xml",
          "javax.xml",
          "org.apache.xerces",
          "org.w3c",
          "org.rocksdb.",
          "org.slf4j",
          "org.apache.log4j",
          "org.apache.logging",
          "org.apache.commons.logging",
          "ch.qos.logback");

  private static Configuration clusterLike() {
    Configuration conf = new Configuration();
    conf.setString("classloader.resolve-order", "child-first");
    conf.setString("classloader.parent-first-patterns.default", PARENT_FIRST);
    return conf;
  }

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(1)
              .setConfiguration(clusterLike())
              .build());

  @TempDir Path tmp;

  private static Set<String> entries(Path jar) throws IOException {
    Set<String> out = new TreeSet<>();
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
        out.add(e.nextElement().getName());
      }
    }
    return out;
  }

  /**
   * Entries under a directory prefix ({@code a/b/}), or named like a file ({@code name.ext})
   * anywhere.
   */
  private static List<String> matching(Set<String> entries, String... patterns) {
    List<String> out = new ArrayList<>();
    for (String e : entries) {
      for (String p : patterns) {
        if (e.startsWith(p) || (!p.contains("/") && e.endsWith("/" + p))) {
          out.add(e);
        }
      }
    }
    return out.size() > 5 ? out.subList(0, 5) : out;
  }

  /**
   * Kafka's broker (its Scala server and the Java raft, storage and coordinator modules) and the
   * test kit.
   */
  private static final String[] NEVER_IN_A_JOB = {
    "kafka/server/",
    "kafka/Kafka.class",
    "org/apache/kafka/raft/",
    "org/apache/kafka/storage/internals/log/",
    "org/apache/kafka/coordinator/",
    "scala/",
    "io/twinstream/testkit/"
  };

  @Test
  void theEmbeddingJobJarIsLeanAndCarriesNoTrainerBrokerTestKitOrModel() throws Exception {
    Path jar = Project.builtFile("stream-embedder", "twinstream-stream-embedder-*-job.jar");
    Set<String> entries = entries(jar);
    assertEquals(List.of(), matching(entries, NEVER_IN_A_JOB));
    assertEquals(
        List.of(),
        matching(
            entries,
            "pytorch/",
            "ai/djl/pytorch/",
            "io/twinstream/trainer/",
            "io/twinstream/streamtrainer/"),
        "no libtorch, no trainer");
    assertEquals(
        List.of(),
        matching(entries, "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-q.onnx"),
        "no built-in model files: a cluster serves bundles from the registry");
    assertTrue(entries.contains("io/twinstream/embedder/EmbedderJob.class"));
    assertTrue(entries.contains("ai/onnxruntime/native/linux-x64/libonnxruntime.so"));
    long size = Files.size(jar);
    assertTrue(
        size <= SINGLE_JOB_JAR_BYTES / 3,
        "the embedding job jar is "
            + size
            + " bytes, more than a third of "
            + SINGLE_JOB_JAR_BYTES);
  }

  @Test
  void theTrainerJobJarCarriesTheTrainerButNoBrokerOrTestKit() throws Exception {
    Set<String> entries =
        entries(Project.builtFile("stream-trainer", "twinstream-stream-trainer-*-job.jar"));
    assertEquals(List.of(), matching(entries, NEVER_IN_A_JOB));
    assertTrue(entries.contains("io/twinstream/streamtrainer/TrainerJob.class"));
    assertTrue(entries.contains("io/twinstream/streamtrainer/LearningJob.class"));
    assertTrue(entries.contains("io/twinstream/embedder/EmbedderJob.class"));
    assertTrue(entries.contains("pytorch/cpu/linux-x86_64/libtorch_cpu.so"), "libtorch, to train");
  }

  @Test
  void theEmbeddingJobJarRunsOnAClusterWithAModelFromTheRegistry(
      @InjectMiniCluster MiniCluster cluster) throws Exception {
    Path jar = Project.builtFile("stream-embedder", "twinstream-stream-embedder-*-job.jar");
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    // Written, not published: publishing runs the serving check, which would load DJL's tokenizer
    // library in this JVM's class loader, and a JVM loads a native library in one class loader
    // only, so the job's own (child-first) could not load it — a task manager of a real cluster
    // never has it loaded before the job.
    BundleWriter.write(
        ModelBundle.builtin(ModelBundle.DEFAULT_INT8).withVersion("served-v1", null),
        Path.of(registry.root()).resolve("served-v1"));
    registry.setCurrent("served-v1");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(
          Map.of("sentences", 1, "embeddings", 1, "dead-letters", 1, "model-updates", 1), Map.of());
      Map<String, String> input = new LinkedHashMap<>();
      for (int i = 0; i < 50; i++) {
        input.put("s-" + i, "Sentence " + i + " reaches a job submitted from its jar.");
      }
      KafkaRecords.produceSentences(kafka.bootstrapServers(), "sentences", input);

      // What `flink run JAR key=value ...` does: build the job graph by running the jar's main in
      // its own class
      // loader, then submit it with the jar attached.
      PackagedProgram program =
          PackagedProgram.newBuilder()
              .setJarFile(jar.toFile())
              .setArguments(
                  "bootstrap.servers=" + kafka.bootstrapServers(),
                  "model=registry",
                  "model.registry=" + registry.root(),
                  "source.bounded=true",
                  "start.position=EARLIEST",
                  "checkpoint.interval=500ms",
                  "checkpoint.dir=" + tmp.resolve("checkpoints"),
                  "restart.attempts=0")
              .setConfiguration(clusterLike())
              .build();
      JobGraph graph = PackagedProgramUtils.createJobGraph(program, clusterLike(), 1, false);
      cluster.submitJob(graph).get();
      JobResult result = cluster.requestJobResult(graph.getJobID()).get();
      assertTrue(result.isSuccess(), () -> String.valueOf(result.getSerializedThrowable()));

      List<Embedding> out =
          KafkaRecords.readCommitted(kafka.bootstrapServers(), "embeddings", Embedding.class);
      assertEquals(input.keySet(), out.stream().map(Embedding::getId).collect(Collectors.toSet()));
      assertEquals(input.size(), out.size(), "exactly once");
      assertEquals(
          Set.of("served-v1"),
          out.stream().map(Embedding::getModelVersion).collect(Collectors.toSet()));
    }
  }
}
