package io.twinstream.trainer.online;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.trainer.eval.Evaluation;
import io.twinstream.trainer.online.PromotionGate.Decision;
import io.twinstream.trainer.online.PromotionGate.Outcome;
import io.twinstream.trainer.online.PromotionGate.Policy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

class PromotionGateTest {

  private final PromotionGate gate = PromotionGate.defaults();

  /** An evaluation of {@code n} queries q0..q(n-1), query i scoring {@code score(i)}. */
  private static Evaluation scored(int n, IntToDoubleFunction score) {
    Map<String, Double> perQuery = new LinkedHashMap<>();
    double sum = 0;
    for (int i = 0; i < n; i++) {
      perQuery.put("q" + i, score.applyAsDouble(i));
      sum += score.applyAsDouble(i);
    }
    return new Evaluation("ndcg@10", Map.of("ndcg@10", sum / n), perQuery);
  }

  private static Map<String, Evaluation> fixed(Evaluation e) {
    return Map.of("fixed", e);
  }

  @Test
  void aCandidateBetterOnManyQueriesIsPromotedWithItsEvidence() {
    // 200 queries: the candidate ranks the answer one place higher on 60 of them, lower on 10.
    Evaluation serving = scored(200, i -> 0.5);
    Evaluation candidate = scored(200, i -> i < 60 ? 0.63 : i < 70 ? 0.39 : 0.5);
    Decision d = gate.decide(fixed(candidate), fixed(serving), Map.of(), 42);
    assertTrue(d.promote());
    assertEquals(Outcome.BETTER, d.outcome());
    assertEquals(200, d.all().queries());
    assertEquals(60, d.all().better());
    assertEquals(10, d.all().worse());
    assertTrue(d.all().low() > 0, d.reason());
    assertTrue(d.reason().startsWith("better: nDCG@10 all +0.0335 on 200 queries (80% CI +"));
    assertEquals(1.0, d.metrics().get("gate/promoted"));
    assertEquals(d.all().low(), d.metrics().get("gate/ci-low"));
  }

  @Test
  void aDifferenceInsideTheNoiseIsNoChangeAndKeepsTheServingModel() {
    // The case that fooled the point-estimate gate: 0.8901 against 0.8948 on 115 held-out
    // queries, the candidate better on 5 and worse on 7 of them.
    Evaluation serving = scored(115, i -> i < 7 ? 0.63 : i < 12 ? 0.5 : 0.9);
    Evaluation candidate = scored(115, i -> i < 7 ? 0.5 : i < 12 ? 0.63 : 0.9);
    Decision d = gate.decide(Map.of("heldout", candidate), Map.of("heldout", serving), Map.of(), 1);
    assertFalse(d.promote());
    assertEquals(Outcome.NO_CHANGE, d.outcome());
    assertTrue(d.all().low() < 0 && d.all().high() > 0, d.reason());
    assertTrue(d.reason().startsWith("no change: "), d.reason());
  }

  @Test
  void underNotWorseAChangeInsideTheNoiseIsPromotedButALossIsNot() {
    PromotionGate notWorse = gate.withPolicy(Policy.NOT_WORSE);
    Evaluation serving = scored(115, i -> i < 7 ? 0.63 : i < 12 ? 0.5 : 0.9);
    Evaluation noise = scored(115, i -> i < 7 ? 0.5 : i < 12 ? 0.63 : 0.9);
    Decision kept = notWorse.decide(fixed(noise), fixed(serving), Map.of(), 1);
    assertTrue(kept.promote(), kept.reason());
    assertEquals(Outcome.NO_CHANGE, kept.outcome());
    assertTrue(kept.reason().startsWith("no change (promoted: not worse): "), kept.reason());
    Evaluation worse = scored(115, i -> i < 40 ? 0.5 : 0.9);
    assertFalse(notWorse.decide(fixed(worse), fixed(serving), Map.of(), 1).promote());
  }

  @Test
  void aCandidateWorseOnManyQueriesIsRejectedAsWorse() {
    Evaluation serving = scored(300, i -> 0.7);
    Evaluation candidate = scored(300, i -> i % 3 == 0 ? 0.4 : 0.7);
    Decision d = gate.decide(fixed(candidate), fixed(serving), Map.of(), 1);
    assertFalse(d.promote());
    assertEquals(Outcome.WORSE, d.outcome());
  }

  @Test
  void aCandidateThatGainsOnClickedDocumentsButLosesTheRestIsRejectedAsForgetting() {
    // Queries q0..q99 are about documents the round trained on (+0.2 each), q100..q299 about
    // documents it did not (-0.03 each): better overall (+0.047), worse on the probe.
    Evaluation serving = scored(300, i -> 0.6);
    Evaluation candidate = scored(300, i -> i < 100 ? 0.8 : 0.57);
    Set<String> untouched = new java.util.HashSet<>();
    for (int i = 100; i < 300; i++) {
      untouched.add("q" + i);
    }
    Decision d = gate.decide(fixed(candidate), fixed(serving), Map.of("fixed", untouched), 1);
    assertTrue(d.all().low() > 0, d.reason());
    assertFalse(d.promote());
    assertEquals(Outcome.FORGETS, d.outcome());
    assertEquals(200, d.probe().queries());
    assertEquals(-0.03, d.probe().meanDifference(), 1e-9);
    assertEquals(200.0, d.metrics().get("gate/probe/queries"));
    // The same gain with a probe that moves within the noise and the allowed forgetting passes.
    Evaluation steady = scored(300, i -> i < 100 ? 0.8 : i < 110 ? 0.47 : i < 118 ? 0.73 : 0.6);
    Decision kept = gate.decide(fixed(steady), fixed(serving), Map.of("fixed", untouched), 1);
    assertTrue(kept.promote(), kept.reason());
    assertEquals(Outcome.BETTER, kept.outcome());
  }

  @Test
  void evidenceIsPooledOverTasksQueryByQuery() {
    // Each task alone is too small to tell; together they are not.
    Evaluation serving = scored(40, i -> 0.5);
    Evaluation candidate = scored(40, i -> i < 20 ? 0.6 : 0.5);
    Decision one =
        gate.decide(
            Map.of("a", scored(8, i -> i < 4 ? 0.6 : 0.5)),
            Map.of("a", scored(8, i -> 0.5)),
            Map.of(),
            1);
    Map<String, Evaluation> c = new LinkedHashMap<>();
    c.put("heldout", candidate);
    c.put("fixed", candidate);
    Map<String, Evaluation> s = new LinkedHashMap<>();
    s.put("heldout", serving);
    s.put("fixed", serving);
    Decision both = gate.decide(c, s, Map.of(), 1);
    assertEquals(80, both.all().queries());
    assertTrue(both.promote(), both.reason());
    assertEquals(8, one.all().queries());
  }

  @Test
  void aNonFiniteMetricIsInvalid() {
    Evaluation serving = scored(10, i -> 0.5);
    Evaluation broken = new Evaluation("ndcg@10", Map.of("ndcg@10", 0.9, "mrr@10", Double.NaN));
    Decision d = gate.decide(fixed(broken), fixed(serving), Map.of(), 1);
    assertFalse(d.promote());
    assertEquals(Outcome.INVALID, d.outcome());
  }

  @Test
  void theLeastImprovementIsRequiredOnTopOfSignificance() {
    Evaluation serving = scored(400, i -> 0.5);
    Evaluation candidate = scored(400, i -> i % 2 == 0 ? 0.52 : 0.5); // +0.01, every time
    assertTrue(gate.decide(fixed(candidate), fixed(serving), Map.of(), 1).promote());
    Decision demanding =
        new PromotionGate(Policy.BETTER, 0.9, 0.02, 0.01)
            .decide(fixed(candidate), fixed(serving), Map.of(), 1);
    assertFalse(demanding.promote());
    assertEquals(Outcome.NO_CHANGE, demanding.outcome());
  }

  @Test
  void badSettingsAreRefusedWithTheReason() {
    assertEquals(
        "confidence must be in (0, 1), got 1.5",
        assertThrows(
                IllegalArgumentException.class, () -> new PromotionGate(Policy.BETTER, 1.5, 0, 0))
            .getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> new PromotionGate(Policy.BETTER, 0.9, -1, 0));
    assertThrows(
        IllegalArgumentException.class, () -> new PromotionGate(Policy.BETTER, 0.9, 0, -0.1));
    assertThrows(IllegalArgumentException.class, () -> new PromotionGate(null, 0.9, 0, 0));
  }
}
