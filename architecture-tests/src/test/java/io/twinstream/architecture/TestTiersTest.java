package io.twinstream.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Test tiers, checked on the compiled tests of every module: a {@code *Test} (surefire, {@code mvn
 * test}) starts no broker, no Flink cluster and no S3 server — those are {@code *ITCase}/{@code
 * *IT} (failsafe, {@code mvn verify}) — and no test waits by sleeping on the test thread.
 */
class TestTiersTest {

  private static JavaClasses testClasses() throws Exception {
    List<Path> dirs = new ArrayList<>();
    for (Path module : Project.modules()) {
      Path classes = module.resolve("target/test-classes");
      if (Files.isDirectory(classes)) {
        dirs.add(classes);
      }
    }
    assertTrue(dirs.size() >= 8, "compiled tests of the modules: " + dirs);
    return new ClassFileImporter().importPaths(dirs);
  }

  @Test
  void unitTestsStartNoBrokerClusterOrServer() throws Exception {
    noClasses()
        .that()
        .haveSimpleNameEndingWith("Test")
        .should()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.twinstream.testkit.EmbeddedKafka")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.twinstream.testkit.KafkaProcess")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("org.apache.flink.test.junit5.MiniClusterExtension")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("org.apache.flink.runtime.minicluster.MiniCluster")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("org.gaul.s3proxy.S3Proxy")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.twinstream.store.PgliteServer")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.twinstream.serve.QueryServer")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.twinstream.testkit.StandaloneCluster")
        .because(
            "tests that need a broker, a cluster or a server are *ITCase/*IT and run under failsafe")
        .check(testClasses());
  }

  @Test
  void testsWaitOnLatchesTailsAndHarnessesNotOnSleeps() throws Exception {
    noClasses()
        .that()
        .resideInAPackage("io.twinstream..")
        .should()
        .callMethod(Thread.class, "sleep", long.class)
        .orShould()
        .callMethod(Thread.class, "sleep", long.class, int.class)
        .because(
            "waiting is done on a latch, a topic tail (Kafka's long poll), an end-offset read or a harness")
        .check(testClasses());
  }
}
