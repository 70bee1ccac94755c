package io.twinstream.trainer.online;

import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.onnx.UnsupportedGraphException;
import io.twinstream.trainer.FineTuner;
import io.twinstream.trainer.TrainingDivergedException;
import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.TrainingListener;
import io.twinstream.trainer.TwinEncoder;
import io.twinstream.trainer.eval.Evaluation;
import io.twinstream.trainer.eval.Evaluator;
import io.twinstream.trainer.export.BundleExporter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One continuous-learning round, plain Java: fine-tune a copy of the serving bundle on feedback, evaluate
 * candidate and serving model on the same held-out task, and let the gate decide. The caller (the Flink
 * trainer operator, a test, the demo) publishes a promoted bundle and announces the decision.
 */
public final class FineTuningRound {

  private final FineTuner tuner;
  private final PromotionGate gate;

  public FineTuningRound(FineTuner tuner, PromotionGate gate) {
    this.tuner = tuner;
    this.gate = gate;
  }

  /**
   * What a round produced: the decision, the candidate bundle (present even when rejected, for inspection;
   * never to be served then), both evaluations, and training facts.
   */
  public record Outcome(PromotionGate.Decision decision, ModelBundle candidate, Evaluation candidateEvaluation,
      Evaluation servingEvaluation, int pairsUsed, double lastLoss, double seconds) {}

  /**
   * Runs the round.
   *
   * @param serving the bundle now serving
   * @param feedback training feedback (e.g. a sample of the replay buffer)
   * @param evaluator the held-out task both models are scored on
   * @param version the candidate's version
   * @return the outcome; a diverged round is a rejection with the reason, never an exception
   */
  public Outcome run(ModelBundle serving, List<Feedback> feedback, Evaluator evaluator, String version)
      throws InvalidBundleException, UnsupportedGraphException {
    long started = System.nanoTime();
    List<TrainingExample> examples = FeedbackExamples.training(feedback);
    // One copy of the model: scored as it serves, then trained in place into the candidate.
    try (TwinEncoder model = TwinEncoder.load(serving)) {
      Evaluation servingEvaluation = evaluator.evaluate(model::encode);
      if (examples.isEmpty()) {
        return new Outcome(new PromotionGate.Decision(false, "no positive feedback to train on",
            Double.NaN, servingEvaluation.primaryValue()), null, null, servingEvaluation, 0, Double.NaN,
            seconds(started));
      }
      FineTuner.Summary summary;
      try {
        summary = tuner.train(model, examples, TrainingListener.NONE);
      } catch (TrainingDivergedException e) {
        return new Outcome(new PromotionGate.Decision(false, e.getMessage(), Double.NaN,
            servingEvaluation.primaryValue()), null, null, servingEvaluation, examples.size(), Double.NaN,
            seconds(started));
      }
      Evaluation candidateEvaluation = evaluator.evaluate(model::encode);
      PromotionGate.Decision decision = gate.decide(candidateEvaluation, servingEvaluation);
      Map<String, Object> training = new LinkedHashMap<>();
      training.put("loss", tuner.loss().name());
      training.put("lossConfig", tuner.loss().config());
      training.put("options", tuner.options().toMap());
      training.put("pairs", examples.size());
      training.put("gate", decision.reason());
      Map<String, Double> metrics = new LinkedHashMap<>(candidateEvaluation.prefixed("heldout/"));
      servingEvaluation.prefixed("parent/heldout/").forEach(metrics::put);
      ModelBundle candidate = new BundleExporter().export(serving, model, version, training, metrics);
      return new Outcome(decision, candidate, candidateEvaluation, servingEvaluation, examples.size(),
          summary.lastLoss(), seconds(started));
    }
  }

  private static double seconds(long started) {
    return (System.nanoTime() - started) / 1e9;
  }
}
