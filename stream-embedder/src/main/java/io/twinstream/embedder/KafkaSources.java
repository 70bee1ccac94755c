package io.twinstream.embedder;

import io.twinstream.embedder.JobOptions.StartPosition;
import io.twinstream.embedder.source.RawRecordDeserializer;
import io.twinstream.schemas.decode.RawRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStreamSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** The Kafka sources of Twinstream's jobs: raw records (decoded downstream), read committed. */
public final class KafkaSources {

  private KafkaSources() {}

  /**
   * A source of {@code topic}'s raw records named {@code name} (also its uid), reading as consumer
   * group {@code group} from {@code start} when there is no checkpoint.
   */
  public static DataStreamSource<RawRecord> raw(
      StreamExecutionEnvironment env,
      Configuration conf,
      String topic,
      String group,
      OffsetsInitializer start,
      String name) {
    KafkaSourceBuilder<RawRecord> source =
        KafkaSource.<RawRecord>builder()
            .setBootstrapServers(conf.get(JobOptions.BOOTSTRAP_SERVERS))
            .setTopics(topic)
            .setGroupId(group)
            .setDeserializer(new RawRecordDeserializer())
            .setProperties(JobOptions.kafkaProperties(conf))
            .setStartingOffsets(start);
    if (conf.get(JobOptions.BOUNDED)) {
      source.setBounded(OffsetsInitializer.latest());
    }
    // Kafka transactions must be read committed, whatever the caller's properties say about other
    // things.
    source.setProperty("isolation.level", "read_committed");
    DataStreamSource<RawRecord> stream =
        env.fromSource(source.build(), WatermarkStrategy.noWatermarks(), name);
    stream.uid(name + "-source");
    return stream;
  }

  /** Where a source starts without a checkpoint. */
  public static OffsetsInitializer startingOffsets(StartPosition position) {
    return switch (position) {
      case EARLIEST -> OffsetsInitializer.earliest();
      case LATEST -> OffsetsInitializer.latest();
      case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
    };
  }
}
