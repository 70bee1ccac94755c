package io.twinstream.bench;

import io.twinstream.embedder.EmbedderOptions;
import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.store.Backfill;
import io.twinstream.encoder.EncoderOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.SentenceEmbedding;
import io.twinstream.encoder.SentenceEncoder;
import io.twinstream.records.Sentence;
import io.twinstream.store.StoreSpec;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.KafkaRecords;
import io.twinstream.trainer.task.IncidentReportTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.configuration.Configuration;

/**
 * The backfill's rate against the bare encoder's, in the same run: {@code N} incident reports of
 * 200-300 tokens (the demo's long-document task) on a compacted topic of an embedded broker; the
 * bare encoder embeds the same texts in micro-batches of 256 (the job's default) on every core; the
 * backfill ({@link Backfill}: a local Flink mini-cluster reading the topic, embedding with one
 * subtask on every core, upserting into the embedded Lucene store in batches of 500) runs end to
 * end, job start, model load and store writes included. Alternating, {@code reps} times each.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.BackfillHarness [N=2000]
 * [reps=3]}
 */
public final class BackfillHarness {

  private BackfillHarness() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
    int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Map<String, String> corpus = IncidentReportTask.generate(42).corpus();
    List<String> ids = new ArrayList<>(corpus.keySet()).subList(0, Math.min(n, corpus.size()));
    List<String> texts = ids.stream().map(corpus::get).toList();
    ModelBundle bundle = ModelBundle.builtin(ModelBundle.DEFAULT);
    Path tmp = Files.createTempDirectory("twinstream-backfill-bench-");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(
          Map.of("documents", 2), Map.of("documents", Map.of("cleanup.policy", "compact")));
      List<Sentence> sentences = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        sentences.add(
            Sentence.newBuilder()
                .setId(ids.get(i))
                .setText(texts.get(i))
                .setEventTime(Instant.ofEpochMilli(i))
                .build());
      }
      KafkaRecords.produce(
          kafka.bootstrapServers(), "documents", sentences, s -> s.getId().toString());
      long tokens = 0;
      System.out.printf(
          Locale.ROOT,
          "%s; %,d incident reports, model %s (fp32)%n",
          MachineInfo.describe(),
          ids.size(),
          bundle.version());
      System.out.println("| run | bare encoder docs/s | backfill docs/s | backfill / bare |");
      System.out.println("|---|---:|---:|---:|");
      List<Double> bare = new ArrayList<>();
      List<Double> backfill = new ArrayList<>();
      for (int rep = 0; rep < reps; rep++) {
        try (SentenceEncoder encoder = SentenceEncoder.open(bundle, EncoderOptions.defaults())) {
          encoder.encode(texts.subList(0, 64)); // warm
          long t0 = System.nanoTime();
          tokens = 0;
          for (int from = 0; from < texts.size(); from += 256) {
            for (SentenceEmbedding e :
                encoder.encode(texts.subList(from, Math.min(texts.size(), from + 256)))) {
              tokens += e.tokens();
            }
          }
          bare.add(texts.size() / ((System.nanoTime() - t0) / 1e9));
        }
        Configuration conf = new Configuration();
        conf.set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        conf.set(EmbedderOptions.SENTENCES_TOPIC, "documents");
        conf.set(JobOptions.GROUP_ID, "bench-" + rep);
        conf.set(JobOptions.TRANSACTIONAL_ID_PREFIX, "bench-" + rep);
        conf.set(JobOptions.CHECKPOINT_DIR, tmp.resolve("checkpoints-" + rep).toString());
        conf.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(10));
        conf.set(JobOptions.PARALLELISM, 1);
        Backfill.Result result =
            Backfill.run(
                conf,
                ModelBundle.DEFAULT,
                bundle.version(),
                StoreSpec.lucene(tmp.resolve("store-" + rep), 384),
                (rows, records) -> {});
        if (result.rows() != ids.size()) {
          throw new IllegalStateException(
              "the backfill stored " + result.rows() + " rows for " + ids.size() + " documents");
        }
        backfill.add(result.recordsPerSecond());
        System.out.printf(
            Locale.ROOT,
            "| %d | %.1f | %.1f | %.2f |%n",
            rep + 1,
            bare.get(rep),
            backfill.get(rep),
            backfill.get(rep) / bare.get(rep));
      }
      double b = Stats.median(bare);
      double f = Stats.median(backfill);
      System.out.printf(
          Locale.ROOT,
          "| **median** | **%.1f** | **%.1f** | **%.2f** |%n(mean %.0f tokens per document)%n",
          b,
          f,
          f / b,
          tokens / (double) texts.size());
    }
  }
}
