package io.twinstream.cli;

import io.twinstream.cli.progress.Progress;
import io.twinstream.cli.progress.ProgressOption;
import io.twinstream.encoder.BundleWriter;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.bridge.AdapterTrainer;
import io.twinstream.encoder.onnx.UnsupportedGraphException;
import io.twinstream.trainer.BatchSampler;
import io.twinstream.trainer.FineTuner;
import io.twinstream.trainer.GradientCache;
import io.twinstream.trainer.TrainingDivergedException;
import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.TrainingListener;
import io.twinstream.trainer.TrainingOptions;
import io.twinstream.trainer.TwinEncoder;
import io.twinstream.trainer.data.BadLine;
import io.twinstream.trainer.data.ExampleAdapter;
import io.twinstream.trainer.data.TrainingFile;
import io.twinstream.trainer.eval.Evaluation;
import io.twinstream.trainer.eval.SimilarityEvaluator;
import io.twinstream.trainer.export.BundleExporter;
import io.twinstream.trainer.export.HuggingFaceExporter;
import io.twinstream.trainer.loss.Loss;
import io.twinstream.trainer.loss.Losses;
import io.twinstream.trainer.online.QueryAdapters;
import io.twinstream.trainer.online.TrainingMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code twinstream train}: fine-tunes a twin encoder on pairs and writes the result as a new
 * bundle.
 */
@Command(
    name = "train",
    description = {
      "Fine-tunes a model bundle as a twin (siamese) encoder on pairs and writes a new bundle.",
      "Pairs: JSONL {\"anchor\",\"positive\"}, {\"anchor\",\"positive\",\"negative\"} or",
      "{\"sentence1\",\"sentence2\",\"label\"}, or the STS benchmark TSV (label = score / 5).",
      "Labelled pairs are adapted to the loss: mnrl and batch-hard-triplet keep pairs with label >=",
      "--positive-threshold; contrastive losses turn graded labels into 0/1 at that threshold.",
      "Bad lines are reported with their line number and skipped.",
      "Exit code: 0 = trained, 2 = trained but some lines were skipped, 1 = failure, 64 = usage."
    })
final class TrainCommand implements Callable<Integer> {

  @picocli.CommandLine.Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Option(
      names = "--pairs",
      required = true,
      paramLabel = "FILE",
      description = "Training pairs (.jsonl or .tsv).")
  Path pairs;

  @Option(
      names = "--loss",
      required = true,
      paramLabel = "NAME",
      description =
          "mnrl, mnrl-symmetric, contrastive, online-contrastive, triplet, batch-hard-triplet or cosent.")
  String loss;

  @Option(
      names = "--model",
      defaultValue = "default",
      paramLabel = "DIR|ROOT/VERSION|default",
      description = "The bundle to start from (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "DIR",
      description = "Where to write the new bundle (must not hold one already).")
  Path output;

  @Option(
      names = "--version",
      paramLabel = "VERSION",
      description = "The new bundle's version (default: <parent>-ft-<UTC time>).")
  String version;

  @Option(
      names = "--epochs",
      defaultValue = "1",
      description = "Passes over the pairs (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(
      names = "--batch-size",
      defaultValue = "32",
      description =
          "Pairs per optimiser step; for mnrl, in-batch negatives + 1 (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--lr",
      defaultValue = "2e-5",
      description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(
      names = "--warmup-ratio",
      defaultValue = "0.1",
      description =
          "Share of steps with a linearly rising learning rate (default: ${DEFAULT-VALUE}).")
  double warmupRatio;

  @Option(
      names = "--weight-decay",
      defaultValue = "0.01",
      description =
          "AdamW weight decay, not on biases and layer norms (default: ${DEFAULT-VALUE}).")
  double weightDecay;

  @Option(
      names = "--max-grad-norm",
      defaultValue = "1.0",
      description = "Gradient clipping norm (default: ${DEFAULT-VALUE}).")
  double maxGradNorm;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Shuffling seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--max-length",
      paramLabel = "N",
      description =
          "Tokens per text, special tokens included (default: the model's maxSequenceLength).")
  Integer maxLength;

  @Option(
      names = "--gradient-cache",
      defaultValue = "auto",
      paramLabel = "auto|on|off",
      description =
          "Embed and back-propagate in mini-batches within --activation-budget: auto = when a "
              + "step would need more (default: ${DEFAULT-VALUE}).")
  GradientCache gradientCache;

  @Option(
      names = "--activation-budget",
      defaultValue = "768",
      paramLabel = "MiB",
      description =
          "Estimated activation memory of one forward pass with graph; bounds peak memory "
              + "(default: ${DEFAULT-VALUE}).")
  int activationBudget;

  @Option(
      names = "--base-decay",
      defaultValue = "0",
      paramLabel = "X",
      description =
          "Decay toward the base model's weights (L2-SP): each step pulls every weight back by lr * X"
              + " * (w - w0), keeping general similarity while learning; 0 = off (default:"
              + " ${DEFAULT-VALUE}).")
  double baseDecay;

  @Option(
      names = "--frozen-layers",
      defaultValue = "0",
      paramLabel = "N",
      description =
          "Do not train the embeddings and the N lowest transformer layers: less computation per"
              + " example and fewer weights that drift from the base; 0 = train all (default:"
              + " ${DEFAULT-VALUE}).")
  int frozenLayers;

  @Option(
      names = "--positive-threshold",
      defaultValue = "0.8",
      paramLabel = "X",
      description =
          "Label (0-1; STS score / 5) from which a labelled pair counts as positive "
              + "(default: ${DEFAULT-VALUE}).")
  float positiveThreshold;

  @Option(
      names = "--eval-sts",
      paramLabel = "FILE",
      description = "STS TSV or labelled JSONL: Spearman of the base model and after every epoch.")
  Path evalSts;

  @Option(
      names = "--export-hf",
      paramLabel = "DIR",
      description = "Also write a sentence-transformers folder (safetensors) that Python can load.")
  Path exportHf;

  @Option(
      names = "--batch-sampler",
      defaultValue = "shuffle",
      paramLabel = "shuffle|no-duplicates",
      converter = BatchSamplerConverter.class,
      description =
          "How shuffled pairs are cut into batches: no-duplicates = a batch never holds the same"
              + " text twice (with in-batch negatives a repeated document is otherwise a negative"
              + " of its own query), as sentence-transformers' NO_DUPLICATES (default:"
              + " ${DEFAULT-VALUE}).")
  BatchSampler batchSampler;

  /** {@code shuffle} or {@code no-duplicates}. */
  static final class BatchSamplerConverter implements CommandLine.ITypeConverter<BatchSampler> {
    @Override
    public BatchSampler convert(String value) {
      return BatchSampler.parse(value);
    }
  }

  @Option(
      names = "--mode",
      defaultValue = "full",
      paramLabel = "full|adapter",
      description =
          "full: fine-tune the model's weights; adapter: train a query adapter on the model's own"
              + " vectors and write the model with it (documents keep their vectors: no backfill;"
              + " --adapter-* options, not --epochs/--lr/--batch-size) (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(
      names = "--adapter-epochs",
      defaultValue = "10",
      description = "Adapter mode: passes over the examples (default: ${DEFAULT-VALUE}).")
  int adapterEpochs;

  @Option(
      names = "--adapter-lr",
      defaultValue = "0.003",
      description = "Adapter mode: Adam's learning rate (default: ${DEFAULT-VALUE}).")
  double adapterLearningRate;

  @Option(
      names = "--adapter-rank",
      defaultValue = "64",
      description = "Adapter mode: hidden units of the adapter (default: ${DEFAULT-VALUE}).")
  int adapterRank;

  @Mixin ProgressOption progress;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    Loss objective;
    TrainingOptions options;
    try {
      objective = Losses.byName(loss);
      options =
          new TrainingOptions(
              epochs,
              batchSize,
              learningRate,
              warmupRatio,
              weightDecay,
              maxGradNorm,
              seed,
              gradientCache,
              activationBudget,
              baseDecay,
              frozenLayers,
              batchSampler);
    } catch (IllegalArgumentException e) {
      err.println("twinstream train: " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    }
    TrainingMode trainingMode;
    AdapterTrainer adapterTrainer;
    try {
      trainingMode = TrainingMode.parse(mode);
      AdapterTrainer d = AdapterTrainer.defaults();
      adapterTrainer =
          new AdapterTrainer(
              adapterRank, adapterEpochs, adapterLearningRate, d.scale(), d.batchSize(), seed);
    } catch (IllegalArgumentException e) {
      err.println("twinstream train: " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    }
    if (trainingMode == TrainingMode.ADAPTER && exportHf != null) {
      err.println(
          "twinstream train: --export-hf writes a sentence-transformers model; an adapter is not"
              + " one (use --mode full)");
      return TwinstreamCli.EXIT_USAGE;
    }
    if (Files.exists(output.resolve("manifest.json"))) {
      err.println(
          "twinstream train: " + output + " already holds a bundle; choose an empty directory");
      return TwinstreamCli.EXIT_USAGE;
    }

    TrainingFile.Contents contents;
    try {
      contents = TrainingFile.read(pairs);
    } catch (IOException e) {
      err.println("twinstream train: cannot read " + pairs + ": " + e.getMessage());
      return 1;
    }
    for (BadLine bad : contents.badLines()) {
      err.println(bad + " (skipped)");
    }
    ExampleAdapter.Adapted adapted =
        ExampleAdapter.adapt(contents.examples(), objective.inputs(), positiveThreshold);
    List<TrainingExample> examples = adapted.examples();
    err.printf(
        Locale.ROOT,
        "twinstream train: %,d examples from %s (%s), %d lines skipped%s%s%n",
        examples.size(),
        pairs,
        contents.format(),
        contents.badLines().size(),
        adapted.dropped() > 0
            ? String.format(
                Locale.ROOT,
                ", %,d pairs below label %.2f dropped for %s",
                adapted.dropped(),
                positiveThreshold,
                objective.name())
            : "",
        adapted.relabelled() > 0
            ? String.format(
                Locale.ROOT,
                ", %,d graded labels made 0/1 at %.2f",
                adapted.relabelled(),
                positiveThreshold)
            : "");
    FineTuner tuner = new FineTuner(objective, options);
    try {
      tuner.validate(examples);
    } catch (IllegalArgumentException e) {
      err.println("twinstream train: " + pairs + ": " + e.getMessage());
      return 1;
    }

    ModelBundle base;
    try {
      base = Registries.resolve(model);
      if (maxLength != null) {
        base = base.withMaxSequenceLength(maxLength);
      }
    } catch (InvalidBundleException | IOException e) {
      err.println("twinstream train: cannot load model '" + model + "': " + e.getMessage());
      return 1;
    } catch (IllegalArgumentException e) {
      err.println("twinstream train: " + e.getMessage());
      return TwinstreamCli.EXIT_USAGE;
    }
    String newVersion =
        version != null
            ? version
            : base.version()
                + "-ft-"
                + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                    .format(ZonedDateTime.now(ZoneOffset.UTC));

    if (trainingMode == TrainingMode.ADAPTER) {
      return trainAdapter(base, examples, contents, newVersion, adapterTrainer, err);
    }
    SimilarityEvaluator sts = null;
    Map<String, Double> baseMetrics = new LinkedHashMap<>();
    if (evalSts != null) {
      sts = StsFile.evaluator(evalSts, err);
      if (sts == null) {
        return 1;
      }
      try (SentenceEncoder encoder = SentenceEncoder.open(base, EncoderOptions.defaults())) {
        Evaluation e = sts.evaluate(encoder::embed);
        baseMetrics.putAll(e.prefixed("sts/"));
        err.printf(
            Locale.ROOT,
            "base model %s: sts spearman %.4f on %,d pairs%n",
            base.version(),
            e.primaryValue(),
            sts.size());
      }
    }

    int perEpoch = (examples.size() + batchSize - 1) / batchSize;
    int totalSteps = perEpoch * epochs;
    Progress bar = progress.create(err, "training", totalSteps, "pairs");
    Map<String, Double> metrics = new LinkedHashMap<>();
    SimilarityEvaluator evaluator = sts;
    TrainingListener listener =
        new TrainingListener() {
          long pairsDone;

          @Override
          public void stepCompleted(
              int epoch, int step, int total, double value, double lr, double norm) {
            pairsDone +=
                Math.min(batchSize, examples.size() - (long) ((step - 1) % perEpoch) * batchSize);
            bar.update(
                step,
                pairsDone,
                String.format(
                    Locale.ROOT,
                    "epoch %d step %d/%d loss %.4f lr %.2e",
                    epoch,
                    step,
                    total,
                    value,
                    lr));
          }

          @Override
          public void epochCompleted(int epoch, double meanLoss, TwinEncoder encoder) {
            bar.finish();
            String line =
                String.format(Locale.ROOT, "epoch %d/%d: mean loss %.4f", epoch, epochs, meanLoss);
            if (evaluator != null) {
              Evaluation e = evaluator.evaluate(encoder::encode);
              metrics.clear();
              metrics.putAll(e.prefixed("sts/"));
              line += String.format(Locale.ROOT, ", sts spearman %.4f", e.primaryValue());
            }
            err.println(line);
          }
        };
    FineTuner.Result result;
    try {
      result = tuner.fineTune(base, examples, listener);
    } catch (TrainingDivergedException e) {
      bar.finish();
      err.println("twinstream train: " + e.getMessage());
      return 1;
    } catch (UnsupportedGraphException e) {
      bar.finish();
      err.println("twinstream train: model '" + model + "' cannot be trained: " + e.getMessage());
      return 1;
    }
    try (TwinEncoder trained = result.encoder()) {
      FineTuner.Summary summary = result.summary();
      Map<String, Object> training = new LinkedHashMap<>();
      training.put("loss", objective.name());
      training.put("lossConfig", objective.config());
      training.put("options", options.toMap());
      training.put("maxSequenceLength", trained.maxLength());
      training.put("data", dataRecord(contents, examples.size()));
      training.put("steps", summary.steps());
      training.put("epochLosses", summary.epochLosses());
      training.put("seconds", Math.round(summary.seconds() * 10) / 10.0);
      if (!baseMetrics.isEmpty()) {
        training.put("parentMetrics", baseMetrics);
      }
      ModelBundle bundle =
          new BundleExporter().export(base, trained, newVersion, training, metrics);
      BundleWriter.write(bundle, output);
      err.printf(
          Locale.ROOT,
          "twinstream train: %d steps in %.1f s (%.1f pairs/s), loss %.4f -> %.4f; wrote %s "
              + "(version %s, parent %s)%n",
          summary.steps(),
          summary.seconds(),
          (double) examples.size() * epochs / summary.seconds(),
          summary.firstLoss(),
          summary.lastLoss(),
          output,
          newVersion,
          base.version());
      err.printf(
          Locale.ROOT,
          "  time: forward+backward %.1f s (gradient cache's first pass %.1f s), optimizer %.1f s,"
              + " checks %.1f s%s%n",
          summary.timings().forwardBackward(),
          summary.timings().firstPass(),
          summary.timings().optimizer(),
          summary.timings().checks(),
          summary.cachedSteps() > 0
              ? ", " + summary.cachedSteps() + " steps with gradient cache"
              : "");
      if (exportHf != null) {
        HuggingFaceExporter.export(trained, bundle, exportHf);
        err.println("twinstream train: wrote sentence-transformers folder " + exportHf);
      }
    }
    return contents.badLines().isEmpty() ? 0 : 2;
  }

  /**
   * Adapter mode: the examples' vectors as {@code base} embeds them, a query adapter trained on
   * them ({@link QueryAdapters}), and {@code base} written with it under {@code newVersion}.
   */
  private int trainAdapter(
      ModelBundle base,
      List<TrainingExample> examples,
      TrainingFile.Contents contents,
      String newVersion,
      AdapterTrainer trainer,
      PrintWriter err)
      throws Exception {
    if (evalSts != null) {
      err.println(
          "twinstream train: --eval-sts not scored in adapter mode: an adapter maps queries only,"
              + " and STS pairs are symmetric");
    }
    QueryAdapters.Trained made;
    try (SentenceEncoder encoder = SentenceEncoder.open(base, EncoderOptions.defaults())) {
      made =
          QueryAdapters.train(
              examples,
              texts -> encoder.encode(texts).stream().map(e -> e.vector()).toArray(float[][]::new),
              base,
              newVersion,
              trainer);
    }
    AdapterTrainer.Result r = made.result();
    if (!Double.isFinite(r.lastLoss())) {
      err.println("twinstream train: the adapter's loss is not finite; nothing written");
      return 1;
    }
    Map<String, Object> training = new LinkedHashMap<>();
    training.put("mode", "adapter");
    training.put(
        "adapter",
        Map.of(
            "rank",
            trainer.rank(),
            "epochs",
            trainer.epochs(),
            "learningRate",
            trainer.learningRate(),
            "scale",
            trainer.scale(),
            "batchSize",
            trainer.batchSize(),
            "seed",
            trainer.seed()));
    training.put("documentsOf", made.adapter().to());
    training.put("data", dataRecord(contents, examples.size()));
    training.put("steps", r.steps());
    training.put("seconds", Math.round(made.seconds() * 10) / 10.0);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("adapter/first-loss", r.firstLoss());
    metrics.put("adapter/last-loss", r.lastLoss());
    ModelBundle bundle = QueryAdapters.bundle(base, made.adapter(), training, metrics);
    BundleWriter.write(bundle, output);
    err.printf(
        Locale.ROOT,
        "twinstream train: query adapter (rank %d) trained in %d steps, %.1f s, loss %.4f -> %.4f;"
            + " wrote %s (version %s: %s's model, its queries mapped into %s's document vectors)%n",
        trainer.rank(),
        r.steps(),
        made.seconds(),
        r.firstLoss(),
        r.lastLoss(),
        output,
        newVersion,
        base.version(),
        made.adapter().to());
    return contents.badLines().isEmpty() ? 0 : 2;
  }

  /** What a bundle's training record says of the data it was trained on. */
  private Map<String, Object> dataRecord(TrainingFile.Contents contents, int examples) {
    return Map.of(
        "file",
        pairs.getFileName().toString(),
        "format",
        contents.format(),
        "examples",
        examples,
        "skippedLines",
        contents.badLines().size());
  }
}
