package io.twinstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.BundleWriter;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.records.Embedding;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.KafkaRecords;
import io.twinstream.testkit.StandaloneCluster;
import io.twinstream.testkit.TopicTail;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.PackagedProgram;
import org.apache.flink.client.program.PackagedProgramUtils;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.rest.messages.job.JobDetailsInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job jar the Flink image ships, on a real standalone Flink cluster — a JobManager process and
 * TaskManager processes started from Flink's own jars, not the mini-cluster — submitted through the
 * REST API as {@code flink run} does, with the trainer on as the deployments run it: it embeds a
 * topic from a broker with a model from the registry, its trainer runs in a slot of its own, and
 * when its TaskManager is killed (SIGKILL) and another one joins, it resumes from its last
 * checkpoint: every sentence embedded exactly once.
 */
class StandaloneClusterIT {

  private static final Duration WAIT = Duration.ofMinutes(3);

  @TempDir Path tmp;

  private static Map<String, String> sentences(int from, int to) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = from; i < to; i++) {
      out.put("s-" + i, "Sentence " + i + " travels through a cluster of separate processes.");
    }
    return out;
  }

  @Test
  void theImagesJobJarEmbedsOnAStandaloneClusterAndSurvivesATaskManagerKill() throws Exception {
    Path jar = ImageSourcesTest.flinkImageJobJar();
    ModelRegistry registry = ModelRegistry.open(tmp.resolve("registry"));
    BundleWriter.write(
        ModelBundle.builtin(ModelBundle.DEFAULT).withVersion("served-v1", null),
        Path.of(registry.root()).resolve("served-v1"));
    registry.setCurrent("served-v1");
    Map<String, String> settings =
        Map.of(
            "taskmanager.numberOfTaskSlots", "2",
            "taskmanager.memory.process.size", "3g",
            "taskmanager.memory.task.off-heap.size", "1g",
            "taskmanager.memory.managed.fraction", "0.05",
            "jobmanager.memory.process.size", "1024m",
            // A killed TaskManager is noticed within seconds, not the default 50.
            "heartbeat.interval", "2000",
            "heartbeat.timeout", "10000");
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        StandaloneCluster cluster = StandaloneCluster.start(tmp.resolve("flink"), settings)) {
      kafka.createTopics(
          Map.of(
              "sentences",
              2,
              "embeddings",
              2,
              "dead-letters",
              1,
              "model-updates",
              1,
              "feedback-pairs",
              1),
          Map.of());
      Map<String, String> first = sentences(0, 300);
      KafkaRecords.produceSentences(kafka.bootstrapServers(), "sentences", first);
      Process taskManager = cluster.startTaskManager();

      Configuration client = new Configuration();
      client.set(RestOptions.ADDRESS, "localhost");
      client.set(RestOptions.PORT, cluster.restPort());
      // The job graph is built in this JVM, whose class path holds Twinstream and Kafka too: the
      // jar's classes must not load beside them here. The cluster loads them from the uploaded jar
      // (child-first, its default), with Flink alone on its class path.
      client.setString("classloader.resolve-order", "parent-first");
      PackagedProgram program =
          PackagedProgram.newBuilder()
              .setJarFile(jar.toFile())
              .setEntryPointClassName("io.twinstream.streamtrainer.LearningJob")
              .setArguments(
                  "bootstrap.servers=" + kafka.bootstrapServers(),
                  "model=registry",
                  "model.registry=" + registry.root(),
                  "trainer.enabled=true",
                  "start.position=EARLIEST",
                  "checkpoint.interval=1s",
                  "checkpoint.dir=" + tmp.resolve("checkpoints").toUri(),
                  "restart.attempts=20",
                  "restart.delay=1s")
              .setConfiguration(client)
              .build();
      JobGraph graph = PackagedProgramUtils.createJobGraph(program, client, 1, false);
      try (RestClusterClient<StandaloneClusterId> rest =
              new RestClusterClient<>(client, StandaloneClusterId.getInstance());
          TopicTail embeddings = new TopicTail(kafka.bootstrapServers(), "embeddings")) {
        JobID job = rest.submitJob(graph).get();
        TopicTail.Guard running =
            () -> {
              JobStatus status = rest.getJobStatus(job).get();
              if (status.isGloballyTerminalState()) {
                throw new IllegalStateException(
                    "the job ended " + status + ":\n" + cluster.logTail());
              }
            };
        // Committed output means a checkpoint completed: there is something to resume from.
        embeddings.await(Embedding.class, WAIT, l -> l.size() >= 100, running);
        // The trainer (libtorch from the job jar, a slot of its own) is up on the cluster too.
        JobDetailsInfo details = rest.getJobDetails(job).get();
        assertTrue(
            details.getJobVertexInfos().stream()
                .anyMatch(
                    v ->
                        v.getName().contains("trainer")
                            && v.getExecutionState() == ExecutionState.RUNNING),
            () ->
                details.getJobVertexInfos().stream()
                    .map(v -> v.getName() + " " + v.getExecutionState())
                    .toList()
                    .toString());
        long peakRss = StandaloneCluster.peakRssMiB(taskManager);
        cluster.kill(taskManager);

        Map<String, String> second = sentences(300, 600);
        KafkaRecords.produceSentences(kafka.bootstrapServers(), "sentences", second);
        cluster.startTaskManager();
        List<Embedding> out =
            embeddings.await(Embedding.class, WAIT, l -> ids(l).size() >= 600, running);
        embeddings.readToEnd();
        out = embeddings.decoded(Embedding.class);

        Set<String> expected = new java.util.HashSet<>(first.keySet());
        expected.addAll(second.keySet());
        assertEquals(expected, ids(out));
        assertEquals(600, out.size(), "exactly once across the TaskManager's death");
        assertEquals(
            Set.of("served-v1"),
            out.stream().map(e -> e.getModelVersion().toString()).collect(Collectors.toSet()));
        System.out.printf(
            "standalone cluster: the killed TaskManager's peak RSS was %d MiB%n", peakRss);
        assertTrue(peakRss < 0 || peakRss < 3072, "within its process size: " + peakRss + " MiB");
        rest.cancel(job).get();
      }
    }
  }

  private static Set<String> ids(List<Embedding> embeddings) {
    return embeddings.stream().map(e -> e.getId().toString()).collect(Collectors.toSet());
  }
}
