package io.twinstream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.embedder.JobOptions;
import io.twinstream.encoder.BundleManifest;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.HiddenStateStore;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.encoder.SplitEncoder;
import io.twinstream.encoder.bridge.QueryBridge;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.joiner.PairRules;
import io.twinstream.joiner.Propensity;
import io.twinstream.records.ModelUpdate;
import io.twinstream.streamtrainer.TrainerOptions;
import io.twinstream.testkit.ClickModel;
import io.twinstream.trainer.FineTuner;
import io.twinstream.trainer.TrainingExample;
import io.twinstream.trainer.TrainingListener;
import io.twinstream.trainer.TrainingOptions;
import io.twinstream.trainer.TwinEncoder;
import io.twinstream.trainer.eval.Evaluation;
import io.twinstream.trainer.eval.PairedComparison;
import io.twinstream.trainer.eval.RetrievalEvaluator;
import io.twinstream.trainer.export.BundleExporter;
import io.twinstream.trainer.loss.MultipleNegativesRankingLoss;
import io.twinstream.trainer.online.ContinuousTrainer;
import io.twinstream.trainer.online.Feedback;
import io.twinstream.trainer.online.FineTuningRound;
import io.twinstream.trainer.online.ModelUpdatePublisher;
import io.twinstream.trainer.online.PromotionGate;
import io.twinstream.trainer.online.RoundReport;
import io.twinstream.trainer.online.TrainerSettings;
import io.twinstream.trainer.task.DomainTask;
import io.twinstream.trainer.task.IncidentReportTask;
import io.twinstream.trainer.task.RetrievalTask;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;

/**
 * Does the loop learn on real data, and does its gate decide right? The continuous trainer as the
 * job runs it ({@link ContinuousTrainer}: replay buffer, trigger, round, gate), fed by simulated
 * users searching a task's traffic queries in the serving version's vectors of the whole corpus and
 * clicking with a position bias ({@link SimulatedSearches}: the demo's users, the joiner's rules);
 * the task's dev queries are the gate's fixed set. After every round the candidate — promoted or
 * not — and the serving version are scored on the test queries over the whole corpus: all of them,
 * the queries whose relevant document users clicked during the run ("seen"), the others ("unseen"),
 * and each test file of the task. Nothing here decides anything the job would not: the harness only
 * watches, scores and tabulates — per round, and at the end the gate's decisions against the test
 * verdict (a confusion table).
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.LearningHarness [--task DIR
 * (data/squad-retrieval-small)] [--gate-queries N (all dev queries)] [--seeds N (1)] [--first-seed
 * S (42)] [--rounds R (3)] [--pairs-per-round P (500)] [--arm NAME:trainer.key=value,...
 * (repeatable; default: one arm of the job's defaults)] [--arm-per-seed (the arms take turns by
 * seed instead of each running every seed)] [--offline-pass ARM (repeatable: after the last round
 * of ARM's runs, one offline pass of twinstream train over the run's clicks, the target to beat)]
 * [--jsonl FILE (rows appended)] [--vectors DIR (corpus vectors per version, kept between runs)]};
 * {@code --summarise FILE} prints the tables of rows appended to FILE by earlier runs.
 */
public final class LearningHarness {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SHOWN = 10;

  /** A training configuration: job options over the trainer's defaults. */
  record Arm(String name, Map<String, String> options) {
    static Arm parse(String spec) {
      int colon = spec.indexOf(':');
      String name = colon < 0 ? spec : spec.substring(0, colon);
      Map<String, String> options = new LinkedHashMap<>();
      if (colon >= 0 && colon < spec.length() - 1) {
        for (String kv : spec.substring(colon + 1).split(",")) {
          int eq = kv.indexOf('=');
          if (eq < 1) {
            throw new IllegalArgumentException("--arm " + spec + ": '" + kv + "' is not KEY=VALUE");
          }
          options.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
      }
      return new Arm(name, options);
    }
  }

  /**
   * The scores of one version over the whole corpus: per test query, and per gate (dev) query — the
   * gate's own verdict without its sample, for comparison.
   */
  record Scores(Map<String, Double> perQuery, Map<String, Double> gatePerQuery) {
    double mean(Iterable<String> queries) {
      double sum = 0;
      int n = 0;
      for (String q : queries) {
        sum += perQuery.get(q);
        n++;
      }
      return n == 0 ? Double.NaN : sum / n;
    }
  }

  private final RetrievalTask task;
  private final RetrievalTask.Split split;
  private final List<String> gate;
  private final RetrievalEvaluator gateFull;
  private final List<String> docIds;
  private final RetrievalEvaluator test;
  private final Path vectorDir;
  private final PrintStream out = System.out;
  private final Map<String, float[][]> corpusVectors = new HashMap<>();

  /**
   * Per frozen-layer count, the corpus's hidden states at the top of the frozen layers: a
   * candidate's lower layers are its parent's, so it embeds the corpus with the layers it trained.
   */
  private final Map<Integer, HiddenStateStore> hiddenStates = new HashMap<>();

  private int frozenLayers;
  private final Set<String> offlineArms = new LinkedHashSet<>();
  private final Map<String, Scores> testScores = new HashMap<>();
  private boolean measureBridges;

  LearningHarness(RetrievalTask.WithSplit task, Path vectorDir, int gateQueries) {
    if (task == null) { // only to summarise rows
      this.task = null;
      this.split = null;
      this.gate = List.of();
      this.gateFull = null;
      this.docIds = List.of();
      this.test = null;
      this.vectorDir = null;
      return;
    }
    this.task = task.task();
    this.split = task.split();
    this.gate = split.dev().subList(0, Math.min(gateQueries, split.dev().size()));
    this.gateFull = this.task.evaluator(gate);
    this.docIds = List.copyOf(this.task.corpus().keySet());
    this.test = this.task.evaluator(split.test());
    this.vectorDir = vectorDir;
  }

  public static void main(String[] args) throws Exception {
    Path taskDir = Path.of("data/squad-retrieval-small");
    int seeds = 1;
    long firstSeed = 42;
    int rounds = 3;
    long pairsPerRound = 500;
    List<Arm> arms = new ArrayList<>();
    Path jsonl = null;
    Path vectors = null;
    int gateQueries = Integer.MAX_VALUE;
    boolean armPerSeed = false;
    boolean bridges = false;
    Set<String> offlineArms = new LinkedHashSet<>();
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--task" -> taskDir = Path.of(value);
        case "--seeds" -> seeds = Integer.parseInt(value);
        case "--first-seed" -> firstSeed = Long.parseLong(value);
        case "--rounds" -> rounds = Integer.parseInt(value);
        case "--pairs-per-round" -> pairsPerRound = Long.parseLong(value);
        case "--arm" -> arms.add(Arm.parse(value));
        case "--jsonl" -> jsonl = Path.of(value);
        case "--vectors" -> vectors = Path.of(value);
        case "--summarise" -> {
          summariseOnly(Path.of(value));
          return;
        }
        case "--gate-queries" -> gateQueries = Integer.parseInt(value);
        case "--offline-pass" -> offlineArms.add(value);
        case "--bridges" -> {
          bridges = true;
          i--; // a flag: no value
        }
        case "--arm-per-seed" -> {
          armPerSeed = true;
          i--; // a flag: no value
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
      i++;
    }
    if (arms.isEmpty()) {
      arms.add(new Arm("defaults", Map.of()));
    }
    RetrievalTask.WithSplit task = task(taskDir, firstSeed);
    LearningHarness harness = new LearningHarness(task, vectors, gateQueries);
    harness.offlineArms.addAll(offlineArms);
    harness.measureBridges = bridges;
    harness.out.printf(
        Locale.ROOT,
        "%s; task %s: %d documents, %d traffic, %d dev (%d for the gate), test %s; %d rounds of"
            + " %d pairs%n",
        MachineInfo.describe(),
        taskDir,
        task.task().corpus().size(),
        task.split().traffic().size(),
        task.split().dev().size(),
        harness.gate.size(),
        sizes(task.split().testSets()),
        rounds,
        pairsPerRound);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
      if (armPerSeed) { // the arms take turns: seed i runs arm i mod arms
        Arm arm = arms.get((int) ((seed - firstSeed) % arms.size()));
        rows.addAll(harness.run(arm, seed, rounds, pairsPerRound, jsonl));
        continue;
      }
      for (Arm arm : arms) {
        rows.addAll(harness.run(arm, seed, rounds, pairsPerRound, jsonl));
      }
    }
    harness.summarise(rows, arms);
    harness.hiddenStates.values().forEach(HiddenStateStore::close);
  }

  /**
   * The task: a folder with its own split, or the demo's generated {@code domain} (24 problems, 10
   * services) or {@code incidents} task (24 problems, 4 reports each) with a seeded 60/20/20 split.
   */
  static RetrievalTask.WithSplit task(Path dir, long seed) throws IOException {
    String name = dir.toString();
    RetrievalTask generated =
        switch (name) {
          case "domain" -> DomainTask.generate(24, 10, 2, seed);
          case "incidents" ->
              IncidentReportTask.generate(IncidentReportTask.MAX_SERVICES, 24, 4, 2, seed);
          default -> null;
        };
    if (generated != null) {
      return new RetrievalTask.WithSplit(generated, generated.split(0.2, seed));
    }
    return RetrievalTask.readSplit(
        dir.getFileName().toString(), dir, b -> System.err.println("skipped: " + b));
  }

  private static String sizes(Map<String, List<String>> sets) {
    List<String> parts = new ArrayList<>();
    sets.forEach((name, ids) -> parts.add(name + " " + ids.size()));
    return String.join(", ", parts);
  }

  /** One arm, one seed: the rounds, a row each. */
  List<Map<String, Object>> run(Arm arm, long seed, int rounds, long pairsPerRound, Path jsonl)
      throws Exception {
    Path work = Files.createTempDirectory("twinstream-learning-");
    List<Map<String, Object>> rows = new ArrayList<>();
    try {
      ModelRegistry registry = ModelRegistry.open(work.resolve("registry"));
      Configuration conf = new Configuration();
      conf.set(JobOptions.MODEL, "default");
      conf.set(JobOptions.MODEL_REGISTRY, registry.root().toString());
      conf.set(TrainerOptions.EVERY_PAIRS, pairsPerRound);
      conf.set(TrainerOptions.EVERY, Duration.ofDays(1));
      conf.set(TrainerOptions.SEED, seed);
      arm.options().forEach(conf::setString);
      TrainerSettings settings = TrainerOptions.settings(conf);
      frozenLayers = settings.training().frozenLayers();
      RetrievalEvaluator dev = task.evaluator(gate, TrainerOptions.evalSampling(conf));
      List<ModelUpdate> updates = new ArrayList<>();
      ModelUpdatePublisher publisher =
          new ModelUpdatePublisher() {
            @Override
            public void publish(ModelUpdate update) {
              updates.add(update);
            }

            @Override
            public boolean published(String version) {
              return updates.stream().anyMatch(u -> u.getVersion().equals(version));
            }
          };
      ModelBundle serving = ModelBundle.builtin(ModelBundle.DEFAULT);
      List<String> traffic = new ArrayList<>(split.traffic());
      Collections.shuffle(traffic, new Random(seed));
      Random users = new Random(seed * 1_000_003L);
      SimulatedSearches searches =
          new SimulatedSearches(
              task,
              ClickModel.positionBiased(1.0),
              new PairRules(false, new Propensity(0.5, 10), Duration.ofSeconds(30)),
              SHOWN);
      Set<String> clickedDocs = new LinkedHashSet<>();
      Map<String, Integer> clickCounts = new HashMap<>();
      List<TrainingExample> allClicks = new ArrayList<>();
      Map<String, String> idOfText = new HashMap<>();
      task.corpus().forEach((id, text) -> idOfText.putIfAbsent(text, id));
      long checkpoint = 0;
      try (ContinuousTrainer trainer =
          new ContinuousTrainer(settings, registry, dev, publisher, null, null, 0)) {
        Scores base = scores(serving);
        out.printf(
            Locale.ROOT,
            "seed %d, arm %s %s: base test nDCG@10 %.4f; the gate ranks %d documents for %d dev"
                + " queries%n",
            seed,
            arm.name(),
            arm.options(),
            base.mean(split.test()),
            dev.documentCount(),
            dev.queryCount());
        int cursor = 0;
        for (int round = 1; round <= rounds; round++) {
          int searchesBefore = searches.searches();
          int pairs = 0;
          int clicks = 0;
          long started = System.nanoTime();
          float[][] docs = corpusVectors(serving);
          QueryBridge servingAdapter = FineTuningRound.adapterOf(serving);
          try (SentenceEncoder encoder = SentenceEncoder.open(serving, EncoderOptions.defaults())) {
            while (!trainer.roundRunning()) {
              List<String> batch = new ArrayList<>();
              for (int i = 0; i < 32; i++) {
                batch.add(traffic.get(cursor++ % traffic.size()));
              }
              float[][] queries =
                  encoder.encode(batch.stream().map(task.queries()::get).toList()).stream()
                      .map(e -> e.vector())
                      .map(v -> servingAdapter == null ? v : servingAdapter.apply(v))
                      .toArray(float[][]::new);
              for (int i = 0; i < batch.size() && !trainer.roundRunning(); i++) {
                List<String> shown = SimulatedSearches.top(queries[i], docs, docIds, SHOWN);
                for (Feedback f : searches.search(batch.get(i), shown, users)) {
                  trainer.offer(f);
                  pairs++;
                  if (f.positive()) {
                    clicks++;
                    clickedDocs.add(idOfText.get(f.candidate()));
                    clickCounts.merge(idOfText.get(f.candidate()), 1, Integer::sum);
                    allClicks.add(TrainingExample.pair(f.anchor(), f.candidate()));
                  }
                  if (trainer.maybeStart(0)) {
                    break;
                  }
                }
              }
            }
          }
          double searchSeconds = (System.nanoTime() - started) / 1e9;
          trainer.awaitRound();
          RoundReport report = trainer.poll().orElseThrow();
          checkpoint++;
          trainer.snapshot(checkpoint);
          trainer.checkpointCompleted(checkpoint);
          Scores before = scores(serving);
          Scores candidate = null;
          Map<String, Object> bridgeRow = Map.of();
          if (report.update() != null && !report.update().getSha256().isEmpty()) {
            ModelBundle bundle = registry.load(report.version());
            candidate = scores(bundle);
            if (report.promoted()) {
              if (measureBridges && FineTuningRound.adapterOf(bundle) == null) {
                bridgeRow =
                    new BridgeMeasurement(test, dev, docIds, task.corpus(), task.queries())
                        .measure(
                            serving,
                            corpusVectors(serving),
                            bundle,
                            corpusVectors(bundle),
                            clickCounts);
              }
              serving = bundle;
            }
          }
          Map<String, Object> row =
              row(seed, arm, round, report, pairs, clicks, searches.searches() - searchesBefore);
          row.putAll(bridgeRow);
          row.put("searchSeconds", searchSeconds);
          row.put("roundSeconds", report.seconds());
          List<String> seen = new ArrayList<>();
          List<String> unseen = new ArrayList<>();
          for (String q : split.test()) {
            boolean clicked =
                task.relevance().get(q).keySet().stream().anyMatch(clickedDocs::contains);
            (clicked ? seen : unseen).add(q);
          }
          row.put("seenQueries", seen.size());
          row.put("unseenQueries", unseen.size());
          Map<String, List<String>> sets = new LinkedHashMap<>();
          sets.put("all", split.test());
          sets.put("seen", seen);
          sets.put("unseen", unseen);
          sets.putAll(split.testSets());
          for (Map.Entry<String, List<String>> set : sets.entrySet()) {
            row.put("base/" + set.getKey(), base.mean(set.getValue()));
            row.put("serving/" + set.getKey(), before.mean(set.getValue()));
            if (candidate != null) {
              row.put("candidate/" + set.getKey(), candidate.mean(set.getValue()));
            }
          }
          if (candidate != null) {
            row.put("test/difference", candidate.mean(split.test()) - before.mean(split.test()));
            row.putAll(pairedTest(candidate, before, split.test()));
            Map<String, Boolean> rules = rules(report);
            PairedComparison full =
                PairedComparison.of(candidate.gatePerQuery(), before.gatePerQuery(), 0.8, 1);
            rules.put(
                RULES.get(RULES.size() - 1), full.verdict() == PairedComparison.Verdict.BETTER);
            row.put("gate-full/difference", full.meanDifference());
            row.put("gate-full/ci-low", full.low());
            row.put("gate-full/ci-high", full.high());
            row.put("rules", rules);
          }
          rows.add(row);
          print(row);
          if (round == rounds && offlineArms.contains(arm.name())) {
            row.putAll(offlinePass(allClicks, sets));
            print(row);
          }
          if (jsonl != null) {
            Files.writeString(
                jsonl,
                JSON.writeValueAsString(row) + "\n",
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
          }
        }
      }
    } finally {
      deleteTree(work);
    }
    return rows;
  }

  private static Map<String, Object> row(
      long seed, Arm arm, int round, RoundReport report, int pairs, int clicks, int searches) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("seed", seed);
    row.put("arm", arm.name());
    row.put("options", arm.options());
    row.put("round", round);
    row.put("version", report.version());
    row.put("parent", report.parentVersion());
    row.put("promoted", report.promoted());
    row.put("reason", report.reason());
    row.put("searches", searches);
    row.put("pairs", pairs);
    row.put("clicks", clicks);
    Map<String, Double> metrics = new LinkedHashMap<>();
    report.metrics().forEach((k, v) -> metrics.put(k, Double.isFinite(v) ? v : null));
    row.put("metrics", metrics);
    return row;
  }

  /**
   * The target the loop must reach: one offline pass of {@code twinstream train} (its defaults:
   * MNRL, learning rate 2e-5, batches of 32, every layer) from the base model over every click the
   * users gave during the run (the held-out ones too), scored like the versions.
   */
  private Map<String, Object> offlinePass(
      List<TrainingExample> clicks, Map<String, List<String>> sets) throws Exception {
    long started = System.nanoTime();
    FineTuner tuner = new FineTuner(new MultipleNegativesRankingLoss(), TrainingOptions.defaults());
    ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT);
    ModelBundle offline;
    try (TwinEncoder trained = tuner.fineTune(base, clicks, TrainingListener.NONE).encoder()) {
      offline =
          new BundleExporter()
              .export(
                  base,
                  trained,
                  "offline-" + clicks.size() + "-" + clicks.hashCode(),
                  Map.of(),
                  Map.of());
    }
    int frozen = frozenLayers;
    frozenLayers = 0; // its lower layers are not the base model's
    Scores s;
    try {
      s = scores(offline);
    } finally {
      frozenLayers = frozen;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("offline/clicks", clicks.size());
    out.put("offline/seconds", (System.nanoTime() - started) / 1e9);
    sets.forEach((name, ids) -> out.put("offline/" + name, s.mean(ids)));
    return out;
  }

  /** Gate rules compared on the same candidates: what each would have decided. */
  static final List<String> RULES =
      List.of(
          "point estimates (old gate)",
          "paired 0.8, probe 0.01 (default)",
          "paired 0.9, probe 0.01",
          "paired 0.95, probe 0.01",
          "paired 0.8, no probe",
          "paired 0.8, probe significance only",
          "not-worse 0.8, probe 0.01",
          "paired 0.8 on the dev queries over the whole corpus (reference)");

  /** What each of {@link #RULES} decides about the round's candidate. */
  private static Map<String, Boolean> rules(RoundReport report) {
    Map<String, Boolean> out = new LinkedHashMap<>();
    Map<String, Double> m = report.metrics();
    boolean old = true;
    for (String task : List.of("heldout", "fixed")) {
      Double c = m.get(task + "/ndcg@10");
      Double s = m.get("parent/" + task + "/ndcg@10");
      if (c != null && s != null) {
        old &= c >= s;
      }
    }
    out.put(RULES.get(0), old);
    PromotionGate.Decision d = report.decision();
    if (d == null || d.all() == null) {
      return out;
    }
    double[] all = d.differences().values().stream().mapToDouble(Double::doubleValue).toArray();
    double[] probe =
        d.differences().entrySet().stream()
            .filter(e -> d.probeQueries().contains(e.getKey()))
            .mapToDouble(Map.Entry::getValue)
            .toArray();
    out.put(RULES.get(1), rule(all, probe, 0.8, true, 0.01));
    out.put(RULES.get(2), rule(all, probe, 0.9, true, 0.01));
    out.put(RULES.get(3), rule(all, probe, 0.95, true, 0.01));
    out.put(RULES.get(4), rule(all, new double[0], 0.8, true, 0.01));
    out.put(RULES.get(5), rule(all, probe, 0.8, true, Double.POSITIVE_INFINITY));
    out.put(RULES.get(6), rule(all, probe, 0.8, false, 0.01));
    return out;
  }

  private static boolean rule(
      double[] all, double[] probe, double confidence, boolean better, double maxForgetting) {
    PairedComparison a = PairedComparison.of(all, confidence, 1);
    boolean passes =
        better
            ? a.verdict() == PairedComparison.Verdict.BETTER
            : a.verdict() != PairedComparison.Verdict.WORSE;
    if (probe.length > 0) {
      PairedComparison p = PairedComparison.of(probe, confidence, 2);
      passes &=
          p.verdict() != PairedComparison.Verdict.WORSE && p.meanDifference() >= -maxForgetting;
    }
    return passes;
  }

  /** The test verdict's own uncertainty: a paired bootstrap of the per-query differences. */
  private static Map<String, Object> pairedTest(Scores candidate, Scores serving, List<String> qs) {
    double[] d = new double[qs.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = candidate.perQuery().get(qs.get(i)) - serving.perQuery().get(qs.get(i));
    }
    Random random = new Random(7);
    double[] means = new double[2000];
    for (int b = 0; b < means.length; b++) {
      double sum = 0;
      for (int i = 0; i < d.length; i++) {
        sum += d[random.nextInt(d.length)];
      }
      means[b] = sum / d.length;
    }
    java.util.Arrays.sort(means);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("test/ci-low", means[(int) (0.025 * means.length)]);
    out.put("test/ci-high", means[(int) (0.975 * means.length) - 1]);
    return out;
  }

  private void print(Map<String, Object> row) {
    out.printf(
        Locale.ROOT,
        "seed %s %s round %s: %s %s (%s searches, %s pairs, %s clicks; round %.0f s, train %.0f s,"
            + " search %.0f s) test all %s -> %s, seen(%s) %s -> %s, unseen(%s) %s -> %s%s | %s%n",
        row.get("seed"),
        row.get("arm"),
        row.get("round"),
        row.get("version"),
        (Boolean) row.get("promoted") ? "PROMOTED" : "REJECTED",
        row.get("searches"),
        row.get("pairs"),
        row.get("clicks"),
        (Double) row.get("roundSeconds"),
        metric(row, "round/train-seconds"),
        (Double) row.get("searchSeconds"),
        f(row.get("serving/all")),
        f(row.get("candidate/all")),
        row.get("seenQueries"),
        f(row.get("serving/seen")),
        f(row.get("candidate/seen")),
        row.get("unseenQueries"),
        f(row.get("serving/unseen")),
        f(row.get("candidate/unseen")),
        setsLine(row),
        row.get("reason"));
    if (row.containsKey("offline/all")) {
      out.printf(
          Locale.ROOT,
          "  one offline pass of twinstream train over the run's %s clicks (%.0f s): test all %s,"
              + " seen %s, unseen %s%n",
          row.get("offline/clicks"),
          (Double) row.get("offline/seconds"),
          f(row.get("offline/all")),
          f(row.get("offline/seen")),
          f(row.get("offline/unseen")));
    }
    out.flush();
  }

  private String setsLine(Map<String, Object> row) {
    StringBuilder b = new StringBuilder();
    for (String set : split.testSets().keySet()) {
      b.append(
          String.format(
              Locale.ROOT,
              ", %s %s -> %s (base %s)",
              set,
              f(row.get("serving/" + set)),
              f(row.get("candidate/" + set)),
              f(row.get("base/" + set))));
    }
    return b.toString();
  }

  private static double metric(Map<String, Object> row, String name) {
    @SuppressWarnings("unchecked")
    Map<String, Double> metrics = (Map<String, Double>) row.get("metrics");
    Double v = metrics.get(name);
    return v == null ? Double.NaN : v;
  }

  private static String f(Object value) {
    return value == null ? "-" : String.format(Locale.ROOT, "%.4f", (Double) value);
  }

  /** The version's test scores over the whole corpus, computed once per version. */
  private Scores scores(ModelBundle bundle) throws Exception {
    Scores s = testScores.get(key(bundle));
    if (s != null) {
      return s;
    }
    float[][] docs = corpusVectors(bundle);
    Map<String, float[]> byText = new HashMap<>();
    for (int i = 0; i < docIds.size(); i++) {
      byText.putIfAbsent(task.corpus().get(docIds.get(i)), docs[i]);
    }
    Evaluation e;
    Evaluation g;
    try (SentenceEncoder encoder = SentenceEncoder.open(bundle, EncoderOptions.defaults())) {
      io.twinstream.trainer.eval.Embedder embedder =
          texts -> {
            float[][] v = new float[texts.size()][];
            List<String> rest = new ArrayList<>();
            for (int i = 0; i < v.length; i++) {
              v[i] = byText.get(texts.get(i));
              if (v[i] == null) {
                rest.add(texts.get(i));
              }
            }
            if (!rest.isEmpty()) {
              var encoded = encoder.encode(rest);
              int j = 0;
              for (int i = 0; i < v.length; i++) {
                if (v[i] == null) {
                  v[i] = encoded.get(j++).vector();
                }
              }
            }
            return v;
          };
      // An adapter version's queries go through its adapter; documents never do.
      QueryBridge adapter = FineTuningRound.adapterOf(bundle);
      io.twinstream.trainer.eval.Embedder queries =
          adapter == null
              ? embedder
              : texts -> {
                float[][] v = embedder.embed(texts);
                for (int i = 0; i < v.length; i++) {
                  v[i] = adapter.apply(v[i]);
                }
                return v;
              };
      e = test.evaluate(embedder, queries);
      g = gateFull.evaluate(embedder, queries);
    }
    s = new Scores(e.perQuery(), g.perQuery());
    testScores.put(key(bundle), s);
    return s;
  }

  /**
   * The version's vectors of the whole corpus in corpus order (normalised), embedded once; kept
   * under {@code --vectors} by version and model checksum when given.
   */
  private float[][] corpusVectors(ModelBundle bundle) throws Exception {
    // By the model alone: an adapter version embeds documents as the version it adapts.
    String key = "model-" + bundle.manifest().files().get(BundleManifest.MODEL_FILE);
    float[][] v = corpusVectors.get(key);
    if (v != null) {
      return v;
    }
    Path file =
        vectorDir == null
            ? null
            : vectorDir.resolve((key + "-" + docIds.size()).replaceAll("[^A-Za-z0-9._-]", "_"));
    if (file != null && Files.exists(file)) {
      v = read(file);
    } else {
      long started = System.nanoTime();
      List<String> texts = docIds.stream().map(task.corpus()::get).toList();
      if (frozenLayers > 0 && !bundle.version().equals(ModelBundle.DEFAULT)) {
        HiddenStateStore store =
            hiddenStates.computeIfAbsent(
                frozenLayers,
                n -> HiddenStateStore.create(Path.of(System.getProperty("java.io.tmpdir")), 6_000));
        try (SplitEncoder encoder =
            SplitEncoder.open(bundle, frozenLayers, store, EncoderOptions.defaults())) {
          io.twinstream.trainer.eval.Embedder embedder = encoder::embed;
          v = embedder.embedAll(texts, 64, done -> {});
        }
      } else {
        try (SentenceEncoder encoder = SentenceEncoder.open(bundle, EncoderOptions.defaults())) {
          io.twinstream.trainer.eval.Embedder embedder =
              t -> encoder.encode(t).stream().map(e -> e.vector()).toArray(float[][]::new);
          v = embedder.embedAll(texts, 64, done -> {});
        }
      }
      System.err.printf(
          Locale.ROOT,
          "embedded %d documents with %s in %.1f s%n",
          docIds.size(),
          bundle.version(),
          (System.nanoTime() - started) / 1e9);
      if (file != null) {
        write(file, v);
      }
    }
    // Only one version's corpus is needed at a time besides the base model's.
    String base = "model-" + baseModelSha();
    corpusVectors.keySet().removeIf(k -> !k.equals(base));
    corpusVectors.put(key, v);
    return v;
  }

  private static String baseModelSha() {
    try {
      return ModelBundle.builtin(ModelBundle.DEFAULT)
          .manifest()
          .files()
          .get(BundleManifest.MODEL_FILE);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A version's identity across arms and seeds: its name and its model's checksum. */
  private static String key(ModelBundle bundle) {
    String adapter = bundle.manifest().files().get(QueryBridge.FILE_NAME);
    return bundle.version()
        + "-"
        + bundle.manifest().files().get(BundleManifest.MODEL_FILE)
        + (adapter == null ? "" : "-" + adapter);
  }

  private static float[][] read(Path file) throws IOException {
    try (DataInputStream in =
        new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
      int n = in.readInt();
      int dim = in.readInt();
      float[][] v = new float[n][dim];
      for (float[] row : v) {
        for (int j = 0; j < dim; j++) {
          row[j] = in.readFloat();
        }
      }
      return v;
    }
  }

  private static void write(Path file, float[][] v) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (DataOutputStream o =
        new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(tmp)))) {
      o.writeInt(v.length);
      o.writeInt(v[0].length);
      for (float[] row : v) {
        for (float x : row) {
          o.writeFloat(x);
        }
      }
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * The bridge measurements of every promotion ({@code --bridges}): test nDCG@10 of the old
   * version, each bridge at promotion, the mixed search at 25/50/75% of a most-clicked-first
   * backfill (and at 50% in topic order), the refitted bridge at 50%, the new version; the bridge's
   * share of the full gain; negative flips against the old version.
   */
  private void printBridges(List<Map<String, Object>> rows) {
    List<Map<String, Object>> promotions =
        rows.stream().filter(r -> r.containsKey("bridge/old")).toList();
    if (promotions.isEmpty()) {
      return;
    }
    out.println();
    out.println(
        "Query bridges (test nDCG@10; flips = share of the queries the old version answered right"
            + " that this one does not):");
    out.println(
        "| seed | round | old | procrustes | share of gain | least squares | residual | mix 25% |"
            + " mix 50% | mix 75% | mix 50%, topic order | refit 50% | full | flips: procrustes |"
            + " mix 50% | full | fit s: procrustes | least squares | residual | texts |");
    out.println(
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            + "---:|---:|");
    for (Map<String, Object> r : promotions) {
      double old = value(r, "bridge/old");
      double full = value(r, "bridge/full");
      double bridge = value(r, "bridge/procrustes");
      out.printf(
          Locale.ROOT,
          "| %s | %s | %.4f | %.4f | %.0f%% | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |"
              + " %.4f | %.3f | %.3f | %.3f | %.2f | %.2f | %.2f | %s |%n",
          r.get("seed"),
          r.get("round"),
          old,
          bridge,
          100 * (bridge - old) / (full - old),
          value(r, "bridge/least-squares"),
          value(r, "bridge/residual"),
          value(r, "mix/clicked/25"),
          value(r, "mix/clicked/50"),
          value(r, "mix/clicked/75"),
          value(r, "mix/topic/50"),
          value(r, "refit/50"),
          full,
          value(r, "bridge/procrustes/flips"),
          value(r, "mix/clicked/50/flips"),
          value(r, "bridge/full/flips"),
          value(r, "bridge/procrustes/fit-seconds"),
          value(r, "bridge/least-squares/fit-seconds"),
          value(r, "bridge/residual/fit-seconds"),
          r.get("bridge/fit-texts"));
    }
    double gain = 0;
    double bridged = 0;
    for (Map<String, Object> r : promotions) {
      gain += value(r, "bridge/full") - value(r, "bridge/old");
      bridged += value(r, "bridge/procrustes") - value(r, "bridge/old");
    }
    out.printf(
        Locale.ROOT,
        "Over %d promotions the bridge (procrustes) kept %.0f%% of the full backfill's gain.%n",
        promotions.size(),
        100 * bridged / gain);
  }

  private static double value(Map<String, Object> row, String name) {
    Object v = row.get(name);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  /** Where one seed's chain of rounds ends, from its rows in round order. */
  record RunEnd(
      int promoted,
      int rounds,
      double all,
      double testSeen,
      double testUnseen,
      double lowestTestUnseen,
      boolean seenRose,
      double offline) {

    static RunEnd of(List<Map<String, Object>> rows) {
      List<Map<String, Object>> ordered =
          rows.stream().sorted(Comparator.comparing(r -> (Integer) r.get("round"))).toList();
      Map<String, Object> first = ordered.get(0);
      double baseUnseen = (Double) first.get("base/test-unseen");
      double lowest = (Double) first.get("serving/test-unseen") - baseUnseen;
      boolean rose = true;
      int promoted = 0;
      double all = (Double) first.get("serving/all");
      double seen = (Double) first.get("serving/test-seen");
      double unseen = (Double) first.get("serving/test-unseen");
      double offline = Double.NaN;
      for (Map<String, Object> r : ordered) {
        if (Boolean.TRUE.equals(r.get("promoted"))) {
          promoted++;
          rose &= (Double) r.get("candidate/test-seen") > (Double) r.get("serving/test-seen");
          all = (Double) r.get("candidate/all");
          seen = (Double) r.get("candidate/test-seen");
          unseen = (Double) r.get("candidate/test-unseen");
          lowest = Math.min(lowest, unseen - baseUnseen);
        }
        if (r.get("offline/all") instanceof Double d) {
          offline = d;
        }
      }
      return new RunEnd(
          promoted,
          ordered.size(),
          all - (Double) first.get("base/all"),
          seen - (Double) first.get("base/test-seen"),
          unseen - baseUnseen,
          lowest,
          rose,
          Double.isNaN(offline) ? Double.NaN : offline - (Double) first.get("base/all"));
    }

    String row(String arm, Object seed) {
      return String.format(
          Locale.ROOT,
          "| %s | %s | %d/%d | %+.2f | %+.2f | %+.2f | %+.2f | %s | %s | %s |",
          arm,
          seed,
          promoted,
          rounds,
          100 * all,
          100 * testSeen,
          100 * testUnseen,
          100 * lowestTestUnseen,
          promoted == 0 ? "-" : seenRose ? "yes" : "no",
          Double.isNaN(offline) ? "-" : String.format(Locale.ROOT, "%+.2f", 100 * offline),
          Double.isNaN(offline) ? "-" : String.format(Locale.ROOT, "%+.2f", 100 * (all - offline)));
    }
  }

  /**
   * The tables of {@link #summarise} over rows written earlier with {@code --jsonl} (runs of
   * several seeds appended to one file).
   */
  @SuppressWarnings("unchecked")
  private static void summariseOnly(Path jsonl) throws IOException {
    List<Map<String, Object>> rows = new ArrayList<>();
    Map<String, Arm> arms = new LinkedHashMap<>();
    for (String line : Files.readAllLines(jsonl)) {
      if (line.isBlank()) {
        continue;
      }
      Map<String, Object> row = JSON.readValue(line, Map.class);
      row.replaceAll(
          (k, v) -> v instanceof Number n && !(v instanceof Integer) ? n.doubleValue() : v);
      rows.add(row);
      arms.putIfAbsent(
          (String) row.get("arm"),
          new Arm((String) row.get("arm"), (Map<String, String>) row.get("options")));
    }
    new LearningHarness(null, null, 0).summarise(rows, List.copyOf(arms.values()));
  }

  /** Per arm: test scores after each round, and the gate's decisions against the test verdict. */
  void summarise(List<Map<String, Object>> rows, List<Arm> arms) {
    out.println();
    out.println(
        "| arm | round | promoted | serving all | seen | unseen | candidate all | seen | unseen |");
    out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Arm arm : arms) {
      int maxRound = rows.stream().mapToInt(r -> (Integer) r.get("round")).max().orElse(0);
      for (int round = 1; round <= maxRound; round++) {
        final int rr = round;
        List<Map<String, Object>> rs =
            rows.stream()
                .filter(r -> r.get("arm").equals(arm.name()) && (Integer) r.get("round") == rr)
                .toList();
        out.printf(
            Locale.ROOT,
            "| %s | %d | %d/%d | %s | %s | %s | %s | %s | %s |%n",
            arm.name(),
            round,
            rs.stream().filter(r -> (Boolean) r.get("promoted")).count(),
            rs.size(),
            mean(rs, "serving/all"),
            mean(rs, "serving/seen"),
            mean(rs, "serving/unseen"),
            mean(rs, "candidate/all"),
            mean(rs, "candidate/seen"),
            mean(rs, "candidate/unseen"));
      }
    }
    out.println();
    printBridges(rows);
    if (rows.stream().anyMatch(r -> !r.containsKey("base/test-unseen"))) {
      return; // a generated task: no seen/unseen test files, no gate-rule table either
    }
    out.println(
        "Where each run ends (points of test nDCG@10 against the base model; the targets: test-seen"
            + " rises with every promotion, test-unseen never more than 0.5 below the base, the"
            + " final version at least as good as one offline pass over the run's clicks):");
    out.println(
        "| arm | seed | promoted | final all | test-seen | test-unseen | lowest test-unseen |"
            + " test-seen rose at every promotion | offline pass all | final minus offline |");
    out.println("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|");
    for (Arm arm : arms) {
      Map<Object, List<Map<String, Object>>> bySeed = new TreeMap<>();
      rows.stream()
          .filter(r -> r.get("arm").equals(arm.name()))
          .forEach(r -> bySeed.computeIfAbsent(r.get("seed"), k -> new ArrayList<>()).add(r));
      for (Map.Entry<Object, List<Map<String, Object>>> seed : bySeed.entrySet()) {
        out.println(RunEnd.of(seed.getValue()).row(arm.name(), seed.getKey()));
      }
    }
    out.println();
    out.println(
        "Gate rules against the test verdict (all test queries, candidate minus serving, over"
            + " every arm's candidates):");
    out.println(
        "| rule | promoted, better | promoted, worse | rejected, better | rejected, worse |"
            + " within ±0.01: promoted / rejected | agreement where |d| > 0.01 |"
            + " promoted worse by > 0.005 |");
    out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (String rule : RULES) {
      int[] c = new int[7];
      for (Map<String, Object> r : rows) {
        @SuppressWarnings("unchecked")
        Map<String, Boolean> decided = (Map<String, Boolean>) r.get("rules");
        if (decided == null || !decided.containsKey(rule)) {
          continue;
        }
        double d = (Double) r.get("test/difference");
        boolean promoted = decided.get(rule);
        if (Math.abs(d) <= 0.01) {
          c[promoted ? 4 : 5]++;
        } else if (promoted) {
          c[d > 0 ? 0 : 1]++;
        } else {
          c[d > 0 ? 2 : 3]++;
        }
        if (promoted && d < -0.005) {
          c[6]++;
        }
      }
      int decisive = c[0] + c[1] + c[2] + c[3];
      out.printf(
          Locale.ROOT,
          "| %s | %d | %d | %d | %d | %d / %d | %s | %d |%n",
          rule,
          c[0],
          c[1],
          c[2],
          c[3],
          c[4],
          c[5],
          decisive == 0
              ? "-"
              : String.format(
                  Locale.ROOT,
                  "%.0f%% (%d/%d)",
                  100.0 * (c[0] + c[3]) / decisive,
                  c[0] + c[3],
                  decisive),
          c[6]);
    }
  }

  private static String mean(List<Map<String, Object>> rows, String key) {
    double sum = 0;
    int n = 0;
    for (Map<String, Object> r : rows) {
      Object v = r.get(key);
      if (v instanceof Double d && Double.isFinite(d)) {
        sum += d;
        n++;
      }
    }
    return n == 0 ? "-" : String.format(Locale.ROOT, "%.4f", sum / n);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
