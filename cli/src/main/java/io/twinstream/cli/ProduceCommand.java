package io.twinstream.cli;

import io.twinstream.cli.progress.Progress;
import io.twinstream.cli.progress.ProgressOption;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code twinstream produce}: texts from a file to Avro {@code Sentence} records on a topic. */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description = {
      "Produces one Avro Sentence per input line (key = id, event time = now), waiting for every",
      "acknowledgement. Input formats as in 'embed'; JSONL lines may also carry \"attributes\": {...}.",
      "With --feedback FILE: one Avro FeedbackPair per JSONL line {\"anchor\", \"candidate\", \"label\" (0..1),",
      "optional \"source\", \"anchorId\", \"candidateId\"} to feedback-pairs (key = anchorId, else anchor).",
      "Exit code: 0 = all lines produced, 2 = some lines rejected, 1 = failure."
    })
final class ProduceCommand implements Callable<Integer> {

  private static final int IN_FLIGHT = 10_000;

  @Spec CommandSpec spec;

  @Mixin KafkaClientOptions kafka;

  @Option(
      names = "--topic",
      description = "Topic (default: sentences, or feedback-pairs with --feedback).")
  String topic;

  @Option(
      names = "--feedback",
      paramLabel = "FILE",
      description = "Produce feedback pairs from this JSONL file instead of sentences.")
  Path feedback;

  @Mixin TextInput input;

  @Mixin ProgressOption progress;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    if (topic == null) {
      topic = feedback != null ? "feedback-pairs" : "sentences";
    }
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic)) {
        err.println(
            "twinstream produce: topic '"
                + topic
                + "' does not exist at "
                + kafka.bootstrapServers());
        return 1;
      }
    } catch (ExecutionException | TimeoutException e) {
      err.println(
          "twinstream produce: cannot reach Kafka at "
              + kafka.bootstrapServers()
              + ": "
              + e.getMessage());
      return 1;
    }
    Map<String, Object> config = kafka.clientConfig();
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.put(ProducerConfig.LINGER_MS_CONFIG, "10");
    if (feedback != null) {
      return produceFeedback(config, err);
    }
    AvroCodec<Sentence> codec = AvroCodec.of(Sentence.class);
    long produced = 0;
    long rejected = 0;
    long total = input.size();
    Progress bar = progress.create(err, "producing", total);
    long started = System.nanoTime();
    try (TextInput.Reader reader = input.open();
        KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<RecordMetadata>> inFlight = new ArrayList<>();
      InputLine line;
      while ((line = reader.next()) != null) {
        if (!line.accepted()) {
          rejected++;
          err.println("\rline " + line.line() + ": rejected: " + line.rejection());
          continue;
        }
        Sentence sentence =
            Sentence.newBuilder()
                .setId(line.id())
                .setText(line.text())
                .setAttributes(line.attributes())
                .setEventTime(Instant.now())
                .build();
        inFlight.add(
            producer.send(
                new ProducerRecord<>(
                    topic, line.id().getBytes(StandardCharsets.UTF_8), codec.encode(sentence))));
        if (inFlight.size() >= IN_FLIGHT) {
          produced += awaitAll(inFlight);
          bar.update(reader.bytes(), reader.lines(), rejected + " rejected");
        }
      }
      produced += awaitAll(inFlight);
      bar.complete(total > 0 ? total : reader.bytes(), reader.lines(), rejected + " rejected");
    } finally {
      bar.finish();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    err.printf(
        Locale.ROOT,
        "twinstream produce: %,d produced to %s, %,d rejected in %.1f s%n",
        produced,
        topic,
        rejected,
        seconds);
    return rejected > 0 ? 2 : 0;
  }

  private int produceFeedback(Map<String, Object> config, PrintWriter err) throws Exception {
    AvroCodec<FeedbackPair> codec = AvroCodec.of(FeedbackPair.class);
    long produced = 0;
    long rejected = 0;
    long started = System.nanoTime();
    Progress bar = progress.create(err, "producing", Files.size(feedback));
    long bytes = 0;
    long number = 0;
    try (BufferedReader in = Files.newBufferedReader(feedback, StandardCharsets.UTF_8);
        KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<RecordMetadata>> inFlight = new ArrayList<>();
      String line;
      while ((line = in.readLine()) != null) {
        number++;
        bytes += line.getBytes(StandardCharsets.UTF_8).length + 1;
        if (line.isBlank()) {
          continue;
        }
        FeedbackLine parsed = FeedbackLine.parse(line, Instant.now());
        if (parsed.pair() == null) {
          rejected++;
          err.println("\r" + feedback + ":" + number + ": rejected: " + parsed.rejection());
          continue;
        }
        FeedbackPair pair = parsed.pair();
        String key = pair.getAnchorId() != null ? pair.getAnchorId() : pair.getAnchor();
        inFlight.add(
            producer.send(
                new ProducerRecord<>(
                    topic, key.getBytes(StandardCharsets.UTF_8), codec.encode(pair))));
        if (inFlight.size() >= IN_FLIGHT) {
          produced += awaitAll(inFlight);
          bar.update(bytes, number, rejected + " rejected");
        }
      }
      produced += awaitAll(inFlight);
      bar.complete(bytes, number, rejected + " rejected");
    } finally {
      bar.finish();
    }
    err.printf(
        Locale.ROOT,
        "twinstream produce: %,d feedback pairs produced to %s, %,d rejected in %.1f s%n",
        produced,
        topic,
        rejected,
        (System.nanoTime() - started) / 1e9);
    return rejected > 0 ? 2 : 0;
  }

  private static long awaitAll(List<Future<RecordMetadata>> inFlight)
      throws IOException, InterruptedException {
    long n = 0;
    for (Future<RecordMetadata> f : inFlight) {
      try {
        f.get();
        n++;
      } catch (ExecutionException e) {
        throw new IOException(
            "a record was not acknowledged: " + e.getCause().getMessage(), e.getCause());
      }
    }
    inFlight.clear();
    return n;
  }
}
