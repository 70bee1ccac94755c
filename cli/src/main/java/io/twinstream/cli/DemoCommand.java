package io.twinstream.cli;

import io.twinstream.cli.demo.Demo;
import io.twinstream.cli.demo.DemoSettings;
import io.twinstream.cli.demo.DemoTasks;
import io.twinstream.cli.demo.RoundSettings;
import io.twinstream.cli.progress.ProgressOption;
import io.twinstream.schemas.TrustedRecords;
import io.twinstream.store.StoreKind;
import io.twinstream.trainer.online.TrainingMode;
import io.twinstream.trainer.task.RetrievalTask;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code twinstream demo}: parses its options into a task ({@link DemoTasks}) and {@link
 * DemoSettings} and runs the {@link Demo}.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Continuous learning end to end, embedded and self-contained: starts a Kafka broker, the "
          + "Flink job (embedding + trainer) and the feedback joiner, streams a corpus, simulates users "
          + "who search and click with a position bias, and lets the joiner turn their impressions and "
          + "clicks into training pairs and the job fine-tune, gate and hot-swap the encoder in rounds.",
      "Prints the base model's nDCG@10 on held-out test queries, then per round the gate decision and each "
          + "version's nDCG@10."
    })
final class DemoCommand implements Callable<Integer> {

  static final long DEFAULT_PAIRS_PER_ROUND = 320;

  @Spec CommandSpec spec;

  @Option(
      names = "--rounds",
      defaultValue = "3",
      paramLabel = "N",
      description = "Fine-tuning rounds (default 3).")
  int rounds;

  @Option(
      names = "--task",
      defaultValue = "domain",
      paramLabel = "domain|incidents|sts|squad",
      description =
          "Built-in task: 'domain' (generated on-call dialect whose code words the base model does not "
              + "know; short documents; default), 'incidents' (the same dialect in 5,760 incident "
              + "reports of 200-300 tokens), 'sts' (queries and documents from STS-benchmark pairs "
              + "scored >= 4) or 'squad' (real data: 5,026 Wikipedia paragraphs and crowd-written "
              + "questions from SQuAD v1.1, with its own traffic, dev, test-seen and test-unseen "
              + "split; data/squad-retrieval-small of the installation).")
  String task;

  @Option(
      names = "--task-dir",
      paramLabel = "DIR",
      description =
          "A task folder with its own split, instead of a built-in task: corpus.jsonl,"
              + " queries.jsonl, qrels/traffic.tsv (what users search), qrels/dev.tsv (the gate's"
              + " fixed set) and qrels/test*.tsv (each a test set of the report), as"
              + " data/squad-retrieval-small.")
  Path taskDir;

  @Option(
      names = "--corpus",
      paramLabel = "FILE",
      description = "BEIR corpus JSONL (with --queries, --qrels) " + "instead of a built-in task.")
  Path corpus;

  @Option(names = "--queries", paramLabel = "FILE", description = "BEIR queries JSONL.")
  Path queries;

  @Option(names = "--qrels", paramLabel = "FILE", description = "BEIR relevance TSV.")
  Path qrels;

  @Option(
      names = "--sts-file",
      paramLabel = "FILE",
      description =
          "STS TSV for --task sts (default: " + "data/stsb-ccbysa/train.tsv of the installation).")
  Path stsFile;

  @Option(
      names = "--problems",
      defaultValue = "24",
      paramLabel = "N",
      description = "Domain task: problems, i.e. code words (2-24, default 24).")
  int problems;

  @Option(
      names = "--services",
      paramLabel = "N",
      description =
          "Domain and incidents tasks: services (domain: 1-12, default 10; incidents: 1-60, default"
              + " 60); documents = problems x services (x reports).")
  Integer services;

  @Option(
      names = "--reports",
      defaultValue = "4",
      paramLabel = "N",
      description = "Incidents task: reports per service and problem (default 4).")
  int reports;

  @Option(
      names = "--gate-queries",
      defaultValue = "1000",
      paramLabel = "N",
      description =
          "Dev queries the gate's fixed evaluation set uses, at most (default 1000: a gate that"
              + " compares models query by query needs several hundred to tell a point of nDCG@10"
              + " from noise); the round's evaluation cost follows them.")
  int gateQueries;

  @Option(
      names = "--pairs-per-round",
      defaultValue = "" + DEFAULT_PAIRS_PER_ROUND,
      paramLabel = "N",
      description =
          "Training pairs that start a round (the trainer's trigger; default "
              + DEFAULT_PAIRS_PER_ROUND
              + "): users search until the joiner has written this many more.")
  long pairsPerRound;

  @Option(
      names = "--shown",
      defaultValue = "10",
      paramLabel = "K",
      description = "Results shown per search (default 10).")
  int shown;

  @Option(
      names = "--click-bias",
      defaultValue = "1.0",
      paramLabel = "B",
      description =
          "Users examine rank k (0-based) with probability (1/(k+1))^B and click an examined result"
              + " with probability 0.95 if relevant, 0.02 if not (default 1.0; 0 = no position"
              + " bias).")
  double clickBias;

  @Option(
      names = "--propensity-eta",
      defaultValue = "0.5",
      paramLabel = "ETA",
      description =
          "The joiner's position-bias correction: a pair from a click at rank k weighs (k+1)^ETA,"
              + " at most 10 (default 0.5, as twinstream joiner; 0 = unweighted).")
  double propensityEta;

  @Option(
      names = "--learning-rate",
      paramLabel = "LR",
      description =
          "Peak learning rate of a round, the job's trainer.learning-rate (default: the job's,"
              + " 5e-5; 1e-4 on the generated tasks domain and incidents).")
  Double learningRate;

  @Option(
      names = "--frozen-layers",
      paramLabel = "N",
      description =
          "Transformer layers (with the embeddings) the rounds do not train, the job's"
              + " trainer.frozen-layers (default: the job's, 2; 0 on the generated tasks domain and"
              + " incidents, whose made-up words only the embeddings can learn).")
  Integer frozenLayers;

  @Option(
      names = "--trainer-mode",
      defaultValue = "full",
      paramLabel = "full|adapter",
      description =
          "What the rounds train, the job's trainer.mode: full (the model; each promoted version is"
              + " backfilled, users searching through its query bridge meanwhile) or adapter (a"
              + " query adapter on the base model's vectors: no backfill; default: ${DEFAULT-VALUE}).")
  String trainerMode;

  @Option(
      names = "--seed",
      defaultValue = "42",
      paramLabel = "N",
      description = "Task, split and users (default 42).")
  long seed;

  @Option(
      names = "--registry",
      paramLabel = "DIR",
      description =
          "Registry to publish into, kept afterwards "
              + "(default: a temporary directory, deleted). Each version works with 'twinstream embed --model DIR/VERSION'.")
  Path registryDir;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description =
          "Keep the job's checkpoints here, on disk (default: a temporary directory, deleted). The demo"
              + " always starts a new simulation; the directory is for inspecting the checkpoints.")
  Path stateDir;

  @Option(names = "--report", paramLabel = "FILE", description = "Write the JSON report here.")
  Path report;

  @Option(
      names = "--chart",
      paramLabel = "FILE",
      description =
          "Write an HTML chart of nDCG@10 and loss per "
              + "version here (default: the report's path with .html).")
  Path chart;

  @Mixin ProgressOption progress;

  @Option(
      names = "--dump",
      paramLabel = "DIR",
      description = "Write everything that came out of embeddings and model-updates as JSONL here.")
  Path dump;

  @Option(
      names = "--store",
      defaultValue = "lucene",
      paramLabel = "lucene|pgvector",
      description =
          "The vector store users search: lucene = the embedded store (in --store-dir), pgvector ="
              + " PostgreSQL with pgvector at --jdbc-url (default: ${DEFAULT-VALUE}).")
  String store;

  @Option(
      names = "--store-dir",
      paramLabel = "DIR",
      description =
          "The embedded store's directory (default: a temporary directory, deleted at the end).")
  Path storeDir;

  @Option(
      names = "--jdbc-url",
      paramLabel = "URL",
      description =
          "For --store pgvector: jdbc:postgresql://HOST:PORT/DB?user=...&password=... (the table"
              + " demo_embeddings is dropped and created again).")
  String jdbcUrl;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter out = spec.commandLine().getOut();
    TrustedRecords.install();
    RetrievalTask.WithSplit loaded =
        new DemoTasks(
                task, taskDir, corpus, queries, qrels, stsFile, problems, services, reports, seed,
                err)
            .load();
    boolean generated =
        taskDir == null && corpus == null && (task.equals("domain") || task.equals("incidents"));
    StoreKind kind;
    try {
      kind = StoreKind.of(store);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--store must be lucene or pgvector, got '" + store + "'");
    }
    TrainingMode mode;
    try {
      mode = TrainingMode.parse(trainerMode);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--trainer-mode must be full or adapter, got '" + trainerMode + "'");
    }
    DemoSettings settings =
        new DemoSettings(
            rounds,
            pairsPerRound,
            gateQueries,
            shown,
            clickBias,
            propensityEta,
            (generated ? RoundSettings.generatedDialect() : RoundSettings.jobDefaults())
                .with(frozenLayers, learningRate)
                .with(mode),
            seed,
            registryDir,
            stateDir,
            report,
            chart,
            dump,
            kind,
            storeDir,
            jdbcUrl,
            progress);
    new Demo(settings, out, err).run(loaded);
    return 0;
  }
}
