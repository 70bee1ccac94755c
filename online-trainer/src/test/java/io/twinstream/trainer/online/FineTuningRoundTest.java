package io.twinstream.trainer.online;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.HiddenStateStore;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.bridge.AdapterTrainer;
import io.twinstream.encoder.bridge.BridgeMethod;
import io.twinstream.encoder.bridge.QueryBridge;
import io.twinstream.trainer.FineTuner;
import io.twinstream.trainer.TrainingListener;
import io.twinstream.trainer.TrainingOptions;
import io.twinstream.trainer.eval.Evaluator;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.eval.VectorCache;
import io.twinstream.trainer.loss.MultipleNegativesRankingLoss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FineTuningRoundTest {

  private static final String[][] DOCS = {
    {"reset password", "how to recover access to your account when you forgot the password"},
    {"refund", "money back for a parcel that arrived damaged"},
    {"shipping time", "parcels arrive within three working days"},
    {"cancel plan", "stop the monthly subscription and its billing"},
    {"gateway 503", "the upstream service was unavailable behind the load balancer"},
    {"invoice twice", "a customer was charged two times for one order"},
    {"change email", "update the address we send notifications to"},
    {"dark mode", "switch the application to a dark colour theme"}
  };

  /** Clicks on the right document, skips of the others, each as feedback. */
  private static List<Feedback> feedback(boolean shuffled) {
    List<Feedback> out = new ArrayList<>();
    for (int q = 0; q < DOCS.length; q++) {
      for (int d = 0; d < DOCS.length; d++) {
        boolean relevant = shuffled ? d == (q + 3) % DOCS.length : d == q;
        if (relevant || d == (q + 1) % DOCS.length) {
          out.add(new Feedback(DOCS[q][0], DOCS[d][1], relevant ? 1f : 0f, 0L));
        }
      }
    }
    return out;
  }

  /** Feedback that learnt hard makes a candidate that ranks its (shuffled) documents first. */
  private static FineTuner hard() {
    return new FineTuner(
        new MultipleNegativesRankingLoss(),
        TrainingOptions.defaults()
            .withBatchSize(8)
            .withEpochs(4)
            .withLearningRate(2e-4)
            .withWarmupRatio(0));
  }

  @Test
  void aHarmfulRoundIsRejectedWithBothEvaluationsAndTheGatesEvidence() throws Exception {
    ModelBundle serving = ModelBundle.builtin(ModelBundle.DEFAULT);
    RetrievalEvaluator heldOut = FeedbackExamples.evaluator(feedback(false), Map.of());
    assertNotNull(heldOut);
    // Labels pointing at the wrong documents, learnt hard: the candidate gets worse on every query
    // and must never pass.
    FineTuningRound round = new FineTuningRound(hard(), PromotionGate.defaults());
    FineTuningRound.Outcome outcome = round.run(serving, feedback(true), heldOut, "harmful-1");
    double before = outcome.servingEvaluation().primaryValue();
    double after = outcome.candidateEvaluation().primaryValue();
    assertTrue(after < before, "ndcg@10 " + before + " -> " + after);
    assertFalse(outcome.decision().promote());
    assertEquals(PromotionGate.Outcome.WORSE, outcome.decision().outcome());
    assertTrue(
        outcome.decision().reason().startsWith("worse: nDCG@10 all -"),
        outcome.decision().reason());
    assertEquals(8, outcome.pairsUsed());
    assertEquals("harmful-1", outcome.candidate().version());
    assertEquals(serving.version(), outcome.candidate().manifest().parentVersion());
    Map<String, Double> recorded = outcome.candidate().manifest().metrics();
    assertEquals(after, recorded.get("heldout/ndcg@10"), 1e-12);
    assertEquals(before, recorded.get("parent/heldout/ndcg@10"), 1e-12);
    assertEquals(after - before, recorded.get("gate/difference"), 1e-9);
    assertEquals(8.0, recorded.get("gate/queries"));
    assertTrue(recorded.get("gate/ci-high") < 0, recorded.toString());
    assertEquals(0.0, recorded.get("gate/promoted"));
    assertEquals(8.0, outcome.metrics().get(FineTuningRound.PAIRS));
    assertTrue(Double.isFinite(outcome.metrics().get(FineTuningRound.LAST_LOSS)));
    assertEquals(Boolean.FALSE, outcome.candidate().manifest().training().get("promote"));
    assertEquals("WORSE", outcome.candidate().manifest().training().get("outcome"));
    // Eight documents are all in every top 10: worse rankings, but no query answered wrong.
    assertEquals(8.0, recorded.get(FineTuningRound.ANSWERED));
    assertEquals(0.0, recorded.get(FineTuningRound.NEGATIVE_FLIPS));
  }

  /**
   * Every two documents of {@link #DOCS} joined: a larger corpus for a second task, judged as the
   * shuffled feedback is (query i wants document i + 3 first).
   */
  private static RetrievalEvaluator joined() {
    Map<String, String> corpus = new java.util.LinkedHashMap<>();
    Map<String, String> queries = new java.util.LinkedHashMap<>();
    Map<String, Map<String, Integer>> relevance = new java.util.LinkedHashMap<>();
    for (int i = 0; i < DOCS.length; i++) {
      queries.put("q" + i, DOCS[i][0] + " problem");
      Map<String, Integer> relevant = new java.util.LinkedHashMap<>();
      for (int j = 0; j < DOCS.length; j++) {
        int wanted = (i + 3) % DOCS.length;
        if (wanted != j) {
          corpus.put("d" + i + "-" + j, DOCS[wanted][1] + ", unlike when " + DOCS[j][1]);
          relevant.put("d" + i + "-" + j, 1);
        }
      }
      relevance.put("q" + i, relevant);
    }
    return new RetrievalEvaluator(corpus, queries, relevance);
  }

  @Test
  void aPromotedCandidateCarriesAQueryBridgeIntoTheServingVersionsSpace() throws Exception {
    ModelBundle serving = ModelBundle.builtin(ModelBundle.DEFAULT);
    Map<String, Evaluator> tasks = new java.util.LinkedHashMap<>();
    tasks.put("shuffled", FeedbackExamples.evaluator(feedback(true), Map.of()));
    tasks.put("joined", joined());
    FineTuningRound.Outcome outcome =
        new FineTuningRound(
                hard(), PromotionGate.defaults().withPolicy(PromotionGate.Policy.NOT_WORSE))
            .withBridge(BridgeMethod.LEAST_SQUARES, 5_000)
            .run(serving, feedback(true), tasks, "bridged-1");
    assertTrue(outcome.decision().promote(), outcome.decision().reason());
    QueryBridge bridge =
        QueryBridge.parse(
            outcome.candidate().file(QueryBridge.FILE_NAME).orElseThrow(), "bridge.bin");
    assertEquals("bridged-1", bridge.from());
    assertEquals(serving.version(), bridge.to());
    assertEquals(BridgeMethod.LEAST_SQUARES, bridge.method());
    Map<String, Double> m = outcome.candidate().manifest().metrics();
    // 8 + 8 texts of the first task, 56 + 8 of the second, each embedded by both versions.
    assertEquals(80.0, m.get(FineTuningRound.BRIDGE_TEXTS));
    assertTrue(
        m.get(FineTuningRound.BRIDGE_COSINE) > m.get(FineTuningRound.BRIDGE_IDENTITY_COSINE),
        m.toString());
    assertTrue(m.containsKey(FineTuningRound.BRIDGE_PRIMARY), m.toString());
    assertTrue(m.get(FineTuningRound.BRIDGE_NEGATIVE_FLIPS) >= 0, m.toString());
    assertTrue(m.get(FineTuningRound.BRIDGE_FIT_SECONDS) < 10, m.toString());
  }

  @Test
  void anAdapterRoundTrainsAQueryAdapterOnTheServingModelAndChainsOnTheSameDocuments()
      throws Exception {
    ModelBundle serving = ModelBundle.builtin(ModelBundle.DEFAULT);
    RetrievalEvaluator shuffled = FeedbackExamples.evaluator(feedback(true), Map.of());
    FineTuningRound round =
        new FineTuningRound(hard(), PromotionGate.defaults())
            .withMode(TrainingMode.ADAPTER, new AdapterTrainer(16, 40, 1e-2, 20, 8, 42));
    FineTuningRound.Outcome first = round.run(serving, feedback(true), shuffled, "adapter-1");
    assertTrue(first.decision().promote(), first.decision().reason());
    ModelBundle candidate = first.candidate();
    assertEquals(serving.modelBuffer(), candidate.modelBuffer(), "the model is not trained");
    assertEquals(serving.version(), candidate.manifest().parentVersion());
    QueryBridge adapter = FineTuningRound.adapterOf(candidate);
    assertEquals(BridgeMethod.ADAPTER, adapter.method());
    assertEquals("adapter-1", adapter.from());
    assertEquals(serving.version(), adapter.to(), "queries search the serving version's vectors");
    assertTrue(
        first.candidateEvaluation().primaryValue() > first.servingEvaluation().primaryValue());
    assertTrue(
        first.metrics().get(FineTuningRound.LAST_LOSS)
            < first.metrics().get(FineTuningRound.FIRST_LOSS));

    // The next round starts from the adapter and still maps into the first version's documents.
    FineTuningRound.Outcome second = round.run(candidate, feedback(true), shuffled, "adapter-2");
    QueryBridge next = FineTuningRound.adapterOf(second.candidate());
    assertEquals(serving.version(), next.to());
    assertEquals("adapter-1", second.candidate().manifest().parentVersion());
    assertEquals(
        first.candidateEvaluation().primaryValue(),
        second.servingEvaluation().primaryValue(),
        1e-9,
        "the serving adapter version is scored with its adapter");
  }

  @Test
  void aRejectedCandidateHasNoBridge() throws Exception {
    ModelBundle serving = ModelBundle.builtin(ModelBundle.DEFAULT);
    FineTuningRound.Outcome outcome =
        new FineTuningRound(hard(), PromotionGate.defaults())
            .withBridge(BridgeMethod.LEAST_SQUARES, 5_000)
            .run(
                serving,
                feedback(true),
                FeedbackExamples.evaluator(feedback(false), Map.of()),
                "harmful-2");
    assertFalse(outcome.decision().promote());
    assertTrue(outcome.candidate().file(QueryBridge.FILE_NAME).isEmpty());
    assertFalse(outcome.metrics().containsKey(FineTuningRound.BRIDGE_TEXTS));
  }

  @Test
  void aCandidateKnownToBeBetterIsPromoted() throws Exception {
    // The same hard round, judged on the documents it learnt: better on every query.
    ModelBundle serving = ModelBundle.builtin(ModelBundle.DEFAULT);
    RetrievalEvaluator shuffled = FeedbackExamples.evaluator(feedback(true), Map.of());
    FineTuningRound.Outcome outcome =
        new FineTuningRound(hard(), PromotionGate.defaults())
            .run(serving, feedback(true), shuffled, "better-1");
    assertTrue(outcome.decision().promote(), outcome.decision().reason());
    assertEquals(PromotionGate.Outcome.BETTER, outcome.decision().outcome());
    assertTrue(outcome.decision().all().low() > 0, outcome.decision().reason());
    assertEquals(Boolean.TRUE, outcome.candidate().manifest().training().get("promote"));
  }

  @Test
  void aRoundThatChangesNothingMeasurableIsNoChangeAndNotPromoted() throws Exception {
    // Correct feedback the base model already ranks right: nothing to gain, nothing to show.
    ModelBundle serving = ModelBundle.builtin(ModelBundle.DEFAULT);
    RetrievalEvaluator heldOut = FeedbackExamples.evaluator(feedback(false), Map.of());
    FineTuner gentle =
        new FineTuner(
            new MultipleNegativesRankingLoss(),
            TrainingOptions.defaults().withBatchSize(8).withEpochs(1).withLearningRate(1e-5));
    FineTuningRound.Outcome outcome =
        new FineTuningRound(gentle, PromotionGate.defaults())
            .run(serving, feedback(false), heldOut, "same-1");
    assertEquals(
        outcome.servingEvaluation().primaryValue(),
        outcome.candidateEvaluation().primaryValue(),
        0.01);
    assertFalse(outcome.decision().promote(), outcome.decision().reason());
    assertEquals(PromotionGate.Outcome.NO_CHANGE, outcome.decision().outcome());
  }

  @Test
  void theGateWeighsEveryTasksQueriesTogether() throws Exception {
    ModelBundle serving = ModelBundle.builtin(ModelBundle.DEFAULT);
    Map<String, Evaluator> tasks = new LinkedHashMap<>();
    tasks.put("heldout", FeedbackExamples.evaluator(feedback(true), Map.of()));
    // A second task that calls the right documents relevant: learning the shuffled ones makes it
    // worse; the gate compares the queries of both.
    tasks.put("contrary", FeedbackExamples.evaluator(feedback(false), Map.of()));
    FineTuningRound.Outcome outcome =
        new FineTuningRound(hard(), PromotionGate.defaults())
            .run(serving, feedback(true), tasks, "two-tasks-1");
    assertEquals(16, outcome.decision().all().queries());
    assertEquals(16.0, outcome.metrics().get("gate/queries"));
    assertTrue(
        outcome.metrics().get("heldout/ndcg@10") > outcome.metrics().get("parent/heldout/ndcg@10"));
    assertTrue(
        outcome.metrics().get("contrary/ndcg@10")
            < outcome.metrics().get("parent/contrary/ndcg@10"));
  }

  @Test
  void theUnseenDocumentProbeIsTheQueriesWhoseDocumentsTheRoundDidNotTrainOn() throws Exception {
    ModelBundle serving = ModelBundle.builtin(ModelBundle.DEFAULT);
    // Feedback about queries 0-3 only: it shows documents 1-6 (clicked (q + 3) % 8, skipped
    // (q + 1) % 8), so the queries about documents 0 and 7 are the probe.
    List<Feedback> half = feedback(true).stream().filter(f -> queryIndex(f) < 4).toList();
    RetrievalEvaluator right = FeedbackExamples.evaluator(feedback(false), Map.of());
    FineTuningRound.Outcome outcome =
        new FineTuningRound(hard(), PromotionGate.defaults()).run(serving, half, right, "probe-1");
    assertEquals(8, outcome.decision().all().queries());
    assertEquals(2, outcome.decision().probe().queries(), outcome.decision().reason());
    assertEquals(2.0, outcome.metrics().get("gate/probe/queries"));
    assertTrue(outcome.decision().reason().contains("unseen-document probe"));
  }

  private static int queryIndex(Feedback f) {
    for (int q = 0; q < DOCS.length; q++) {
      if (DOCS[q][0].equals(f.anchor())) {
        return q;
      }
    }
    throw new IllegalArgumentException(f.anchor());
  }

  @Test
  void theServingVersionsVectorsAreEmbeddedOnceAndAPromotedCandidatesAreKeptForTheNextRound()
      throws Exception {
    ModelBundle serving = ModelBundle.builtin(ModelBundle.DEFAULT);
    Map<String, Evaluator> tasks =
        Map.of("heldout", FeedbackExamples.evaluator(feedback(false), Map.of()));
    int texts = 2 * DOCS.length; // 8 documents and 8 queries
    FineTuner tuner =
        new FineTuner(
            new MultipleNegativesRankingLoss(),
            TrainingOptions.defaults().withBatchSize(8).withEpochs(1).withLearningRate(5e-5));
    FineTuningRound round = new FineTuningRound(tuner, PromotionGate.defaults());
    VectorCache servingVectors = new VectorCache(serving.version(), 1_000);

    FineTuningRound.Outcome first =
        round.run(
            serving,
            feedback(false),
            tasks,
            "cache-1",
            TrainingListener.NONE,
            Map.of(),
            servingVectors);
    assertEquals(texts, first.metrics().get(FineTuningRound.servingEmbedded("heldout")));
    assertEquals(texts, first.metrics().get(FineTuningRound.candidateEmbedded("heldout")));
    assertEquals(2.0 * texts, first.metrics().get(FineTuningRound.TEXTS_EMBEDDED));

    FineTuningRound.Outcome second =
        round.run(
            serving,
            feedback(false),
            tasks,
            "cache-2",
            TrainingListener.NONE,
            Map.of(),
            servingVectors);
    assertEquals(0.0, second.metrics().get(FineTuningRound.servingEmbedded("heldout")));
    assertEquals(
        first.servingEvaluation().metrics(),
        second.servingEvaluation().metrics(),
        "the cached vectors score as the model does");
    assertEquals(texts, second.metrics().get(FineTuningRound.TEXTS_EMBEDDED));

    // Were it promoted, the candidate would serve next, from its vectors.
    VectorCache promoted = second.candidateVectors();
    assertEquals("cache-2", promoted.version());
    FineTuningRound.Outcome third =
        round.run(
            second.candidate(),
            feedback(false),
            tasks,
            "cache-3",
            TrainingListener.NONE,
            Map.of(),
            promoted);
    assertEquals(0.0, third.metrics().get(FineTuningRound.servingEmbedded("heldout")));
    assertEquals(
        second.candidateEvaluation().metrics(),
        third.servingEvaluation().metrics(),
        "the promoted candidate scores the same as when it was a candidate");
    for (String timing :
        List.of(
            FineTuningRound.TRAIN_SECONDS,
            FineTuningRound.EXPORT_SECONDS,
            FineTuningRound.PAIRS_PER_SECOND,
            FineTuningRound.servingSeconds("heldout"),
            FineTuningRound.candidateSeconds("heldout"))) {
      assertTrue(third.metrics().get(timing) > 0, timing + " " + third.metrics().get(timing));
    }

    // A cache of another version is not used.
    FineTuningRound.Outcome other =
        round.run(
            serving, feedback(false), tasks, "cache-4", TrainingListener.NONE, Map.of(), promoted);
    assertEquals(texts, other.metrics().get(FineTuningRound.servingEmbedded("heldout")));
  }

  @Test
  void withFrozenLayersTheSharedLowerLayersAreComputedOnceAcrossModelsAndRounds(@TempDir Path dir)
      throws Exception {
    ModelBundle serving = ModelBundle.builtin(ModelBundle.DEFAULT);
    Map<String, Evaluator> tasks =
        Map.of("heldout", FeedbackExamples.evaluator(feedback(false), Map.of()));
    double texts = 2 * DOCS.length;
    FineTuner tuner =
        new FineTuner(
            new MultipleNegativesRankingLoss(),
            TrainingOptions.defaults()
                .withBatchSize(8)
                .withEpochs(1)
                .withLearningRate(5e-5)
                .withFrozenLayers(3));
    FineTuningRound whole = new FineTuningRound(tuner, PromotionGate.defaults());
    try (HiddenStateStore store = HiddenStateStore.create(dir, 100)) {
      FineTuningRound split = whole.withHiddenStates(store);
      FineTuningRound.Outcome reference = whole.run(serving, feedback(false), tasks, "whole-1");
      assertFalse(reference.metrics().containsKey(FineTuningRound.LOWER_COMPUTED));

      VectorCache servingVectors = new VectorCache(serving.version(), 1_000);
      FineTuningRound.Outcome first =
          split.run(
              serving,
              feedback(false),
              tasks,
              "split-1",
              TrainingListener.NONE,
              Map.of(),
              servingVectors);
      // The serving model computed every text's lower layers; the candidate, trained above them,
      // read them all.
      assertEquals(texts, first.metrics().get(FineTuningRound.LOWER_COMPUTED));
      assertEquals(texts, first.metrics().get(FineTuningRound.candidateEmbedded("heldout")));
      assertEquals(
          reference.candidateEvaluation().primaryValue(),
          first.candidateEvaluation().primaryValue(),
          1e-9,
          "the split candidate scores as the whole one");
      assertEquals(
          reference.servingEvaluation().primaryValue(),
          first.servingEvaluation().primaryValue(),
          1e-9);

      // Next round: the serving vectors are cached, and the candidate still computes no lower
      // layer.
      FineTuningRound.Outcome second =
          split.run(
              serving,
              feedback(false),
              tasks,
              "split-2",
              TrainingListener.NONE,
              Map.of(),
              servingVectors);
      assertEquals(0.0, second.metrics().get(FineTuningRound.servingEmbedded("heldout")));
      assertEquals(texts, second.metrics().get(FineTuningRound.candidateEmbedded("heldout")));
      assertEquals(0.0, second.metrics().get(FineTuningRound.LOWER_COMPUTED));
    }
  }
}
