package io.twinstream.trainer.online;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.bridge.AdapterTrainer;
import io.twinstream.encoder.bridge.BridgeFit;
import io.twinstream.encoder.bridge.BridgeMethod;
import io.twinstream.encoder.bridge.QueryBridge;
import io.twinstream.encoder.bridge.ResidualMap;
import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.eval.Embedder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Query adapters (adapter mode), trained from examples on a model's own vectors: an adapter round
 * ({@link FineTuningRound#withMode}) and {@code twinstream train --mode adapter} make them here. An
 * adapter maps into the version whose documents its version searches: the one it was trained from,
 * or, when that one is itself an adapter version, the version that one maps into; training then
 * continues from its adapter.
 */
public final class QueryAdapters {

  private QueryAdapters() {}

  /** What a training made: the adapter, its training's facts, the seconds it took. */
  public record Trained(QueryBridge adapter, AdapterTrainer.Result result, double seconds) {}

  /**
   * Trains {@code version}'s adapter on {@code examples} (anchor = query, positive, optional hard
   * negative, weight), their vectors as {@code model} embeds them ({@code raw}).
   *
   * @throws IllegalArgumentException when there are no examples
   */
  public static Trained train(
      List<TrainingExample> examples,
      Embedder raw,
      ModelBundle model,
      String version,
      AdapterTrainer trainer) {
    long started = System.nanoTime();
    QueryBridge from = FineTuningRound.adapterOf(model);
    String documents = from == null ? model.version() : from.to();
    List<String> texts = new ArrayList<>();
    for (TrainingExample e : examples) {
      texts.add(e.anchor());
      texts.add(e.positive());
      if (e.negative() != null) {
        texts.add(e.negative());
      }
    }
    float[][] vectors = raw.embedAll(texts, 64, done -> {});
    List<AdapterTrainer.Example> adapterExamples = new ArrayList<>();
    int at = 0;
    for (TrainingExample e : examples) {
      float[] q = vectors[at++];
      float[] p = vectors[at++];
      float[] n = e.negative() != null ? vectors[at++] : null;
      adapterExamples.add(new AdapterTrainer.Example(q, p, n, e.weight()));
    }
    AdapterTrainer.Result result =
        trainer.train(adapterExamples, from == null ? null : (ResidualMap) from.map());
    double seconds = (System.nanoTime() - started) / 1e9;
    QueryBridge adapter =
        new QueryBridge(
            version,
            documents,
            BridgeMethod.ADAPTER,
            result.map(),
            new BridgeFit(examples.size(), 0, Double.NaN, Double.NaN, seconds));
    return new Trained(adapter, result, seconds);
  }

  /**
   * The bundle of an adapter version: {@code model}'s files under {@code adapter.from()}, derived
   * from {@code model}, with the adapter ({@value QueryBridge#FILE_NAME}) and the training record.
   */
  public static ModelBundle bundle(
      ModelBundle model,
      QueryBridge adapter,
      Map<String, Object> training,
      Map<String, Double> metrics) {
    return model
        .withVersion(adapter.from(), model.version())
        .withFile(QueryBridge.FILE_NAME, adapter.toBytes())
        .withRecord(training, metrics);
  }
}
