package io.twinstream.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.twinstream.trainer.eval.PairedComparison.Verdict;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PairedComparisonTest {

  @Test
  void theSameGainOnEveryQueryIsBetterWithAnIntervalOfThatGain() {
    PairedComparison c = PairedComparison.of(new double[] {0.1, 0.1, 0.1, 0.1}, 0.9, 1);
    assertEquals(Verdict.BETTER, c.verdict());
    assertEquals(0.1, c.meanDifference(), 1e-12);
    assertEquals(0.1, c.low(), 1e-12);
    assertEquals(0.1, c.high(), 1e-12);
    assertEquals(4, c.better());
    assertEquals(0, c.worse());
  }

  @Test
  void identicalModelsAreNoChange() {
    PairedComparison c = PairedComparison.of(new double[50], 0.9, 1);
    assertEquals(Verdict.NO_CHANGE, c.verdict());
    assertEquals(0, c.low());
    assertEquals(0, c.high());
  }

  @Test
  void theIntervalIsTheNormalOneForALargeSample() {
    // 900 differences with mean 0.01 and standard deviation 0.2: the 90% interval of the mean is
    // 0.01 +- 1.645 * 0.2 / 30 = 0.01 +- 0.011 (central limit theorem), which the bootstrap
    // percentiles must reproduce.
    Random random = new Random(3);
    double[] d = new double[900];
    double sum = 0;
    for (int i = 0; i < d.length; i++) {
      d[i] = 0.01 + 0.2 * random.nextGaussian();
      sum += d[i];
    }
    double mean = sum / d.length;
    double var = 0;
    for (double x : d) {
      var += (x - mean) * (x - mean);
    }
    double halfWidth = 1.645 * Math.sqrt(var / (d.length - 1)) / Math.sqrt(d.length);
    PairedComparison c = PairedComparison.of(d, 0.9, 11);
    assertEquals(mean, c.meanDifference(), 1e-12);
    assertEquals(mean - halfWidth, c.low(), 0.1 * halfWidth);
    assertEquals(mean + halfWidth, c.high(), 0.1 * halfWidth);
  }

  @Test
  void aGainInsideTheNoiseOfFewQueriesIsNoChangeAndTheSameGainOnManyIsBetter() {
    // Half the queries gain 0.3, a third lose 0.3, the rest are tied: mean +0.05.
    double[] few = pattern(30);
    double[] many = pattern(3000);
    assertEquals(Verdict.NO_CHANGE, PairedComparison.of(few, 0.9, 5).verdict());
    assertEquals(Verdict.BETTER, PairedComparison.of(many, 0.9, 5).verdict());
    assertEquals(
        Verdict.WORSE,
        PairedComparison.of(java.util.Arrays.stream(many).map(x -> -x).toArray(), 0.9, 5)
            .verdict());
  }

  private static double[] pattern(int n) {
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = i % 6 < 3 ? 0.3 : i % 6 < 5 ? -0.3 : 0;
    }
    return d;
  }

  @Test
  void queriesAreMatchedByIdAndThoseOnlyOneSideScoredAreLeftOut() {
    Map<String, Double> candidate = new LinkedHashMap<>();
    candidate.put("q1", 1.0);
    candidate.put("q2", 0.5);
    candidate.put("only-candidate", 0.0);
    Map<String, Double> serving = new LinkedHashMap<>();
    serving.put("q2", 0.25);
    serving.put("q1", 0.5);
    serving.put("only-serving", 1.0);
    PairedComparison c = PairedComparison.of(candidate, serving, 0.9, 1);
    assertEquals(2, c.queries());
    assertEquals((0.5 + 0.25) / 2, c.meanDifference(), 1e-12);
  }

  @Test
  void theSameSeedGivesTheSameInterval() {
    double[] d = pattern(60);
    assertEquals(PairedComparison.of(d, 0.9, 8), PairedComparison.of(d, 0.9, 8));
  }

  @Test
  void badInputIsRefusedWithTheReason() {
    assertEquals(
        "confidence must be in (0, 1), got 1.0",
        assertThrows(
                IllegalArgumentException.class,
                () -> PairedComparison.of(new double[] {0.1}, 1.0, 1))
            .getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> PairedComparison.of(new double[] {Double.NaN}, 0.9, 1));
    assertEquals(Verdict.NO_CHANGE, PairedComparison.of(new double[0], 0.9, 1).verdict());
  }
}
