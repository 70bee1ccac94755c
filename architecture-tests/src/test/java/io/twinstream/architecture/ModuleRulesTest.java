package io.twinstream.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.regex.Pattern;

/**
 * The module layout of docs/architecture.md, checked on the main classes of every module:
 * plain-Java cores at the bottom, Kafka and Flink adapters above them, runnables on top; the test
 * kit only under runnables; no package cycles.
 */
@AnalyzeClasses(
    packages = "io.twinstream",
    importOptions = {
      ImportOption.DoNotIncludeTests.class,
      ModuleRulesTest.NoJmhGenerated.class,
      ModuleRulesTest.NoTestJars.class
    })
class ModuleRulesTest {

  /** JMH's generated benchmark classes are not ours to arrange. */
  static final class NoJmhGenerated implements ImportOption {
    @Override
    public boolean includes(Location location) {
      return !location.contains("/jmh_generated/");
    }
  }

  /** Test classes shared as a module's test jar (-tests.jar) are tests too. */
  static final class NoTestJars implements ImportOption {
    @Override
    public boolean includes(Location location) {
      return !location.matches(Pattern.compile(".*-tests\\.jar!/.*"));
    }
  }

  private static final String[] CORES = {
    "io.twinstream.schemas..",
    "io.twinstream.records..",
    "io.twinstream.encoder..",
    "io.twinstream.trainer..",
    "io.twinstream.store.."
  };

  @ArchTest
  static final ArchRule coresImportNothingFromFlinkOrKafka =
      noClasses()
          .that()
          .resideInAnyPackage(CORES)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("org.apache.flink..", "org.apache.kafka..", "kafka..")
          .because(
              "schemas, encoder, online-trainer and vector-store are plain-Java cores that every runtime"
                  + " can use");

  @ArchTest
  static final ArchRule theLifecycleCoreIsPlainJava =
      noClasses()
          .that()
          .resideInAPackage("io.twinstream.lifecycle")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "org.apache.flink..", "org.apache.kafka..", "kafka..", "io.twinstream.kafka..")
          .because(
              "a version's life is decided in plain Java; its Kafka adapters live in"
                  + " io.twinstream.lifecycle.kafka");

  @ArchTest
  static final ArchRule kafkaClientsNeedNoFlink =
      noClasses()
          .that()
          .resideInAPackage("io.twinstream.kafka..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("org.apache.flink..");

  @ArchTest
  static final ArchRule theJoinerIsKafkaStreamsWithoutFlinkOrAModel =
      noClasses()
          .that()
          .resideInAPackage("io.twinstream.joiner..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "org.apache.flink..",
              "io.twinstream.encoder..",
              "io.twinstream.trainer..",
              "ai.djl..")
          .because("the joiner's jar runs next to Kafka, without Flink or a model");

  @ArchTest
  static final ArchRule theEmbeddingJobCarriesNoTrainer =
      noClasses()
          .that()
          .resideInAPackage("io.twinstream.embedder..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "io.twinstream.trainer..",
              "io.twinstream.streamtrainer..",
              "ai.djl.pytorch..",
              "ai.djl.training..")
          .because("the embedding-only job jar has no libtorch");

  @ArchTest
  static final ArchRule onlyTheTestKitStartsABroker =
      noClasses()
          .that()
          .resideOutsideOfPackages("io.twinstream.testkit..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("kafka.server..", "kafka.tools..", "org.apache.kafka.raft..")
          .because("Kafka's server belongs to the test kit, never to a job jar");

  @ArchTest
  static final ArchRule layers =
      layeredArchitecture()
          .consideringOnlyDependenciesInLayers()
          .layer("schemas")
          .definedBy("io.twinstream.schemas..", "io.twinstream.records..")
          .layer("encoder")
          .definedBy("io.twinstream.encoder..")
          .layer("online-trainer")
          .definedBy("io.twinstream.trainer..")
          .layer("vector-store")
          .definedBy("io.twinstream.store..")
          .layer("kafka-io")
          .definedBy("io.twinstream.kafka..")
          .layer("lifecycle")
          .definedBy("io.twinstream.lifecycle..")
          .layer("testkit")
          .definedBy("io.twinstream.testkit..")
          .layer("feedback-joiner")
          .definedBy("io.twinstream.joiner..")
          .layer("query-server")
          .definedBy("io.twinstream.serve..")
          .layer("stream-embedder")
          .definedBy("io.twinstream.embedder..")
          .layer("stream-trainer")
          .definedBy("io.twinstream.streamtrainer..")
          .layer("runnables")
          .definedBy("io.twinstream.cli..", "io.twinstream.bench..", "io.twinstream.reliability..")
          .whereLayer("runnables")
          .mayNotBeAccessedByAnyLayer()
          .whereLayer("stream-trainer")
          .mayOnlyBeAccessedByLayers("runnables")
          .whereLayer("stream-embedder")
          .mayOnlyBeAccessedByLayers("stream-trainer", "lifecycle", "runnables")
          .whereLayer("testkit")
          .mayOnlyBeAccessedByLayers("runnables")
          .whereLayer("lifecycle")
          .mayOnlyBeAccessedByLayers("runnables")
          .whereLayer("feedback-joiner")
          .mayOnlyBeAccessedByLayers("runnables")
          .whereLayer("query-server")
          .mayOnlyBeAccessedByLayers("runnables")
          .whereLayer("kafka-io")
          .mayOnlyBeAccessedByLayers(
              "testkit", "lifecycle", "stream-trainer", "query-server", "runnables")
          .whereLayer("online-trainer")
          .mayOnlyBeAccessedByLayers("stream-trainer", "runnables")
          .whereLayer("vector-store")
          .mayOnlyBeAccessedByLayers(
              "lifecycle", "stream-embedder", "stream-trainer", "query-server", "runnables")
          .whereLayer("encoder")
          .mayOnlyBeAccessedByLayers(
              "online-trainer",
              "kafka-io",
              "lifecycle",
              "stream-embedder",
              "stream-trainer",
              "query-server",
              "runnables");

  @ArchTest
  static final ArchRule noPackageCycles =
      slices().matching("io.twinstream.(**)").should().beFreeOfCycles();
}
