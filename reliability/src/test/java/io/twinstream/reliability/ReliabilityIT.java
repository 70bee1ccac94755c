package io.twinstream.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reliability suite at a size that fits CI: each case must lose and duplicate nothing. The
 * full-size runs and their figures are in docs/reliability.md.
 */
class ReliabilityIT {

  @TempDir Path tmp;

  private Setup setup(String name) {
    return new Setup(
        Path.of(System.getProperty("twinstream.cliJar", "../cli/target/twinstream.jar")),
        tmp.resolve(name),
        System.out);
  }

  @Test
  void killedThreeTimesTheJobEmbedsEverySentenceExactlyOnce() throws Exception {
    Outcome o =
        CrashRecovery.run(setup("crash"), new CrashRecovery.Config(3_000, 3, 100, 11, true));
    System.out.println(o.row());
    assertEquals(3_000, o.records());
    assertEquals(0, o.lost(), o.row());
    assertEquals(0, o.duplicated(), o.row());
    assertTrue(o.exactlyOnce());
  }

  @Test
  void aBrokerRestartMidStreamLosesAndRepeatsNothing() throws Exception {
    Outcome o =
        BrokerRestart.run(
            setup("broker-restart"), new BrokerRestart.Config(3_000, 150, Duration.ofSeconds(5)));
    System.out.println(o.row());
    assertEquals(3_000, o.records());
    assertTrue(o.exactlyOnce(), o.row());
  }

  @Test
  void everyFuzzedRecordIsEmbeddedDeadLetteredOrDeletedOnceAndTheJobNeverFails() throws Exception {
    Outcome o = FuzzedInput.run(setup("fuzz"), 4_000, 5);
    System.out.println(o.row());
    assertEquals(4_000, o.records());
    assertTrue(o.exactlyOnce(), o.row());
    assertTrue(o.notes().contains("0 without a reason; the job never failed"), o.row());
  }

  @Test
  void badModelsAreRefusedEverywhereAndTheGoodOneStillSwapsIn() throws Exception {
    Outcome o = BadModels.run(setup("bad-models"), 1_500, 40);
    System.out.println(o.row());
    assertTrue(o.exactlyOnce(), o.row());
  }

  @Test
  void aRegistryAwayForSecondsDelaysTheSwapAndLosesNothing() throws Exception {
    Outcome o = RegistryOutage.run(setup("registry-outage"), 2_000, 100, Duration.ofSeconds(6));
    System.out.println(o.row());
    assertTrue(o.exactlyOnce(), o.row());
  }

  @Test
  void aKilledEmbeddedRunLeavesNoBrokerBehindAndResumes() throws Exception {
    Outcome o = EmbeddedRunKill.run(setup("embedded-kill"), 1_000, 200);
    System.out.println(o.row());
    assertTrue(o.exactlyOnce(), o.row());
  }
}
