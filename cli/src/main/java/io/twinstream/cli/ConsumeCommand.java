package io.twinstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinstream.cli.progress.Progress;
import io.twinstream.cli.progress.ProgressOption;
import io.twinstream.schemas.AvroJson;
import io.twinstream.schemas.RecordDecodeException;
import io.twinstream.schemas.Records;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code twinstream consume}: committed records of a topic to JSONL. */
@Command(
    name = "consume",
    mixinStandardHelpOptions = true,
    description = {
      "Reads a topic from the beginning (read_committed: only records of committed transactions) and writes",
      "one JSON line per record with every field of its Avro record (any Twinstream record type).",
      "Stops after --max records, or after --timeout seconds without a new record.",
      "Exit code: 0, or 2 when some records could not be decoded (reported on stderr), 1 = failure."
    })
final class ConsumeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin KafkaClientOptions kafka;

  @Option(
      names = "--topic",
      defaultValue = "embeddings",
      description = "Topic (default: ${DEFAULT-VALUE}).")
  String topic;

  @Option(
      names = "--output",
      defaultValue = "-",
      paramLabel = "FILE|-",
      description = "Output JSONL file, or - for standard output (default: ${DEFAULT-VALUE}).")
  String output;

  @Option(
      names = "--max",
      paramLabel = "N",
      description = "Stop after N records (default: no limit).")
  Long max;

  @Option(
      names = "--timeout",
      defaultValue = "10",
      paramLabel = "SECONDS",
      description =
          "Stop after this many seconds without a new record (default: ${DEFAULT-VALUE}).")
  double timeout;

  @Mixin ProgressOption progress;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    Map<String, Object> config = kafka.clientConfig();
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    ObjectMapper json = new ObjectMapper();
    long count = 0;
    long undecodable = 0;
    Progress bar = progress.create(err, "consuming", -1);
    try (KafkaConsumer<byte[], byte[]> consumer =
            new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Writer out =
            new BufferedWriter(
                new OutputStreamWriter(
                    "-".equals(output)
                        ? new EmbedCommand.NonClosingOutputStream(System.out)
                        : Files.newOutputStream(Path.of(output)),
                    StandardCharsets.UTF_8))) {
      List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (partitions == null || partitions.isEmpty()) {
        err.println(
            "twinstream consume: topic '"
                + topic
                + "' does not exist at "
                + kafka.bootstrapServers());
        return 1;
      }
      List<TopicPartition> assigned =
          partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(assigned);
      consumer.seekToBeginning(assigned);
      long idleSince = System.nanoTime();
      long limit = max == null ? Long.MAX_VALUE : max;
      while (count < limit && (System.nanoTime() - idleSince) / 1e9 < timeout) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
        if (!records.isEmpty()) {
          idleSince = System.nanoTime();
        }
        for (ConsumerRecord<byte[], byte[]> r : records) {
          if (count >= limit) {
            break;
          }
          if (r.value() == null) {
            continue; // a tombstone: the key's earlier records are to be forgotten
          }
          try {
            out.write(json.writeValueAsString(AvroJson.toJson(Records.decodeAny(r.value()))));
            out.write('\n');
            count++;
          } catch (RecordDecodeException e) {
            undecodable++;
            err.println(
                "\r"
                    + topic
                    + "-"
                    + r.partition()
                    + "@"
                    + r.offset()
                    + ": cannot decode: "
                    + e.reason());
          }
        }
        bar.update(count, count, undecodable + " undecodable");
      }
    } finally {
      bar.finish();
    }
    err.printf(
        Locale.ROOT,
        "twinstream consume: %,d records from %s%s%n",
        count,
        topic,
        undecodable > 0 ? ", " + undecodable + " undecodable" : "");
    return undecodable > 0 ? 2 : 0;
  }
}
