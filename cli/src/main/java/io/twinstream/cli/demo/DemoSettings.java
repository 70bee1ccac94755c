package io.twinstream.cli.demo;

import io.twinstream.cli.progress.ProgressOption;
import io.twinstream.store.StoreKind;
import java.nio.file.Path;

/**
 * How {@code twinstream demo} runs, as its options give it.
 *
 * @param rounds fine-tuning rounds
 * @param pairsPerRound training pairs that start a round (the trainer's trigger)
 * @param gateQueries dev queries of the gate's fixed evaluation set, at most
 * @param shown results shown per search
 * @param clickBias users examine rank k with probability (1/(k+1))^clickBias
 * @param propensityEta the joiner's position-bias correction
 * @param training the rounds' learning rate, frozen layers and batch size
 * @param seed task, split and users
 * @param registryDir the registry to publish into and keep; null = a temporary one
 * @param stateDir where the job's checkpoints go; null = a temporary directory
 * @param report the JSON report; null = none
 * @param chart the HTML chart; null = beside the report
 * @param dump where to write embeddings and model-updates as JSONL; null = nowhere
 * @param store the vector store users search
 * @param storeDir the embedded store's directory; null = a temporary one
 * @param jdbcUrl pgvector's JDBC URL
 * @param progress whether progress lines are drawn
 */
public record DemoSettings(
    int rounds,
    long pairsPerRound,
    int gateQueries,
    int shown,
    double clickBias,
    double propensityEta,
    RoundSettings training,
    long seed,
    Path registryDir,
    Path stateDir,
    Path report,
    Path chart,
    Path dump,
    StoreKind store,
    Path storeDir,
    String jdbcUrl,
    ProgressOption progress) {

  public DemoSettings {
    if (gateQueries < 1) {
      throw new IllegalArgumentException("--gate-queries must be at least 1, got " + gateQueries);
    }
    if (store == StoreKind.PGVECTOR && jdbcUrl == null) {
      throw new IllegalArgumentException("--store pgvector needs --jdbc-url");
    }
  }
}
