package io.twinstream.bench;

import io.twinstream.embedder.EmbedderJob;
import io.twinstream.embedder.JobEnvironment;
import io.twinstream.embedder.JobOptions;
import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.registry.ModelRegistry;
import io.twinstream.kafka.KafkaModelUpdates;
import io.twinstream.kafka.Topics;
import io.twinstream.records.Embedding;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import io.twinstream.testkit.KafkaProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * How much a hot swap disturbs the stream: sentences flow at a steady rate through the job
 * (parallelism 1) while the model is promoted twice (fp32 → int8 → fp32, as published versions);
 * the gaps between consecutive emitted batches ({@code embeddedAt}) around each swap are compared
 * with the median gap of the run.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.twinstream.bench.SwapBenchmark [rate]
 * [seconds]}.
 */
public final class SwapBenchmark {

  private SwapBenchmark() {}

  /** Promotes on a thread of its own, so that the steady producer never pauses for it. */
  private static void promoteAsync(KafkaModelUpdates updates, String version) {
    Thread t =
        new Thread(
            () -> {
              try {
                updates.promote(version, "swap benchmark");
              } catch (Exception e) {
                throw new IllegalStateException("promotion of " + version + " failed", e);
              }
            },
            "promote-" + version);
    t.start();
  }

  public static void main(String[] args) throws Exception {
    double rate = args.length > 0 ? Double.parseDouble(args[0]) : 100;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 45;
    List<String> texts = BenchCorpus.sentences(20_000);
    Path dir = Files.createDirectories(Path.of("bench-results", "swap"));
    ModelRegistry registry = ModelRegistry.open(dir.resolve("registry-" + System.nanoTime()));
    registry.publish(ModelBundle.builtin(ModelBundle.DEFAULT).withVersion("fp32-a", null));
    registry.publish(ModelBundle.builtin(ModelBundle.DEFAULT_INT8).withVersion("int8-b", "fp32-a"));
    registry.publish(ModelBundle.builtin(ModelBundle.DEFAULT).withVersion("fp32-c", "int8-b"));
    registry.setCurrent("fp32-a");
    AvroCodec<Sentence> sentences = AvroCodec.of(Sentence.class);
    AvroCodec<Embedding> embeddings = AvroCodec.of(Embedding.class);
    try (KafkaProcess kafka =
        KafkaProcess.start(dir.resolve("kafka-" + System.nanoTime()), 0, Duration.ofSeconds(90))) {
      String bootstrap = kafka.bootstrapServers();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        Topics.create(
            admin,
            Map.of("sentences", 1, "embeddings", 1, "dead-letters", 1),
            Map.of(),
            Duration.ofSeconds(60));
      }
      KafkaModelUpdates updates =
          new KafkaModelUpdates(
                  registry, "default", Map.of("bootstrap.servers", bootstrap), "model-updates")
              .ensureTopic();
      Configuration conf = new Configuration();
      conf.set(JobOptions.BOOTSTRAP_SERVERS, bootstrap);
      conf.set(JobOptions.MODEL, "registry");
      conf.set(JobOptions.MODEL_REGISTRY, registry.root().toString());
      conf.set(JobOptions.DELIVERY_GUARANTEE, JobOptions.Guarantee.AT_LEAST_ONCE);
      conf.set(JobOptions.RESTART_ATTEMPTS, 0);
      StreamExecutionEnvironment env =
          StreamExecutionEnvironment.createLocalEnvironment(1, new Configuration());
      JobEnvironment.configure(env, conf);
      EmbedderJob.build(env, conf);
      JobClient job = env.executeAsync("swap-bench");

      List<Embedding> out = Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean consuming = new AtomicBoolean(true);
      Thread consumer =
          new Thread(
              () -> {
                try (KafkaConsumer<byte[], byte[]> c =
                    new KafkaConsumer<>(
                        Map.of("bootstrap.servers", bootstrap, "enable.auto.commit", "false"),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
                  TopicPartition tp = new TopicPartition("embeddings", 0);
                  c.assign(List.of(tp));
                  c.seekToBeginning(List.of(tp));
                  while (consuming.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                      out.add(embeddings.decode(r.value()));
                    }
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      consumer.start();
      Thread.sleep(8_000); // model loading and job start-up
      List<Long> swapTimes = new ArrayList<>();
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(
              Map.of("bootstrap.servers", bootstrap, "linger.ms", "0"),
              new ByteArraySerializer(),
              new ByteArraySerializer())) {
        long interval = (long) (1e9 / rate);
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        boolean first = false;
        boolean second = false;
        int i = 0;
        for (long next = start; next < end; next += interval, i++) {
          long wait = next - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
          long elapsed = System.nanoTime() - start;
          if (!first && elapsed > seconds * 1_000_000_000L / 3) {
            first = true;
            swapTimes.add(System.currentTimeMillis());
            promoteAsync(updates, "int8-b");
          }
          if (!second && elapsed > seconds * 2_000_000_000L / 3) {
            second = true;
            swapTimes.add(System.currentTimeMillis());
            promoteAsync(updates, "fp32-c");
          }
          String id = "s-" + i;
          Sentence s =
              Sentence.newBuilder()
                  .setId(id)
                  .setText(texts.get(i % texts.size()))
                  .setEventTime(Instant.now())
                  .build();
          producer.send(
              new ProducerRecord<>(
                  "sentences", id.getBytes(StandardCharsets.UTF_8), sentences.encode(s)));
        }
      }
      Thread.sleep(5_000);
      consuming.set(false);
      consumer.join();
      job.cancel().get();

      // batches: embeddedAt -> version
      TreeMap<Long, String> batches = new TreeMap<>();
      synchronized (out) {
        for (Embedding e : out) {
          batches.put(e.getEmbeddedAt().toEpochMilli(), e.getModelVersion());
        }
      }
      List<Long> times = new ArrayList<>(batches.keySet());
      List<Double> gaps = new ArrayList<>();
      for (int k = 1; k < times.size(); k++) {
        gaps.add((double) (times.get(k) - times.get(k - 1)));
      }
      double median = Stats.median(gaps);
      StringBuilder md = new StringBuilder();
      md.append(
          String.format(
              Locale.ROOT,
              "Machine: %s%n%d sentences/s for %d s, parallelism 1, %d batches, "
                  + "median gap between batches %.0f ms%n%n",
              MachineInfo.describe(),
              (long) rate,
              seconds,
              times.size(),
              median));
      md.append(
          "| swap | from → to | first batch of the new version after promotion | gap at the switch "
              + "(last old → first new batch) | above median | longest gap from promotion to 1 s after the switch "
              + "(background load included) | above median |\n");
      md.append("|---|---|---:|---:|---:|---:|---:|\n");
      for (int s = 0; s < swapTimes.size(); s++) {
        long promoted = swapTimes.get(s);
        String target = s == 0 ? "int8-b" : "fp32-c";
        Long firstNew = null;
        for (Map.Entry<Long, String> b : batches.tailMap(promoted).entrySet()) {
          if (b.getValue().equals(target)) {
            firstNew = b.getKey();
            break;
          }
        }
        if (firstNew == null) {
          md.append(
              String.format(Locale.ROOT, "| %d | → %s | never | - | - | - | - |%n", s + 1, target));
          continue;
        }
        double longest = 0;
        for (int k = 1; k < times.size(); k++) {
          if (times.get(k) >= promoted && times.get(k - 1) <= firstNew + 1_000) {
            longest = Math.max(longest, times.get(k) - times.get(k - 1));
          }
        }
        Long lastOld = batches.lowerKey(firstNew);
        double atSwitch = lastOld == null ? Double.NaN : firstNew - lastOld;
        md.append(
            String.format(
                Locale.ROOT,
                "| %d | %s → %s | %d ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms |%n",
                s + 1,
                batches.floorEntry(promoted) == null
                    ? "?"
                    : batches.floorEntry(promoted).getValue(),
                target,
                firstNew - promoted,
                atSwitch,
                atSwitch - median,
                longest,
                longest - median));
      }
      // For scale: the longest gap anywhere outside the swap windows (from promotion to 1 s after
      // the first
      // batch of the new version), i.e. what this machine's noise alone does during the run.
      double quietLongest = 0;
      for (int k = 1; k < times.size(); k++) {
        boolean inSwap = false;
        for (long promoted : swapTimes) {
          if (times.get(k) >= promoted && times.get(k - 1) <= promoted + 5_000) {
            inSwap = true;
          }
        }
        if (!inSwap) {
          quietLongest = Math.max(quietLongest, times.get(k) - times.get(k - 1));
        }
      }
      md.append(
          String.format(
              Locale.ROOT,
              "%nLongest gap outside the swap windows (5 s after each promotion): "
                  + "%.0f ms (%.0f ms above median)%n",
              quietLongest,
              quietLongest - median));
      System.out.println(md);
      Files.writeString(Path.of("bench-results", "swap.md"), md.toString(), StandardCharsets.UTF_8);
    }
  }
}
