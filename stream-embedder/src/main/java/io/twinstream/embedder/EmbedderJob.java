package io.twinstream.embedder;

import io.twinstream.embedder.EmbedderOptions.Guarantee;
import io.twinstream.embedder.EmbedderOptions.StartPosition;
import io.twinstream.embedder.decode.DecodeFunction;
import io.twinstream.embedder.decode.FeedbackDecodeFunction;
import io.twinstream.embedder.trainer.ContinuousTrainer;
import io.twinstream.embedder.trainer.TrainerOperator;
import io.twinstream.records.FeedbackPair;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import io.twinstream.embedder.decode.ModelUpdateDecodeFunction;
import io.twinstream.embedder.operator.EmbedOperator;
import io.twinstream.embedder.sink.AvroRecordSerializer;
import io.twinstream.embedder.source.RawRecord;
import io.twinstream.embedder.source.RawRecordDeserializer;
import io.twinstream.records.DeadLetter;
import io.twinstream.records.Embedding;
import io.twinstream.records.ModelUpdate;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.TrustedRecords;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The stream embedder job: {@code sentences} (Avro {@link Sentence}) → decode (bad records to
 * {@code dead-letters}) → micro-batched embedding → {@code embeddings} (Avro {@link Embedding}, keyed by
 * sentence id), exactly once by default.
 *
 * <p>On a Flink cluster: {@code flink run stream-embedder/target/twinstream-stream-embedder-*-job.jar
 * [--properties FILE] [key=value ...]} with the keys of {@link EmbedderOptions}.
 */
public final class EmbedderJob {

  /** Name of the Flink job. */
  public static final String JOB_NAME = "twinstream-embedder";

  private EmbedderJob() {}

  /** Checkpointing, restart strategy and parallelism of {@code env} from {@code conf}. */
  public static void configureEnvironment(StreamExecutionEnvironment env, Configuration conf) {
    EmbedderOptions.validate(conf);
    Configuration restart = new Configuration();
    int attempts = conf.get(EmbedderOptions.RESTART_ATTEMPTS);
    if (attempts == 0) {
      restart.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    } else {
      restart.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
      restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
      restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, conf.get(EmbedderOptions.RESTART_DELAY));
    }
    env.configure(restart);
    env.enableCheckpointing(conf.get(EmbedderOptions.CHECKPOINT_INTERVAL).toMillis(), CheckpointingMode.EXACTLY_ONCE);
    env.setParallelism(conf.get(EmbedderOptions.PARALLELISM));
    // Sentences cross a network edge to the embedding operator (its second input, model updates, keeps it
    // from chaining with the source): Flink's default 100 ms buffer timeout would delay them that long.
    env.setBufferTimeout(conf.get(EmbedderOptions.BUFFER_TIMEOUT).toMillis());
    // Chained operators hand records over without a defensive copy: every operator here builds new records
    // and keeps none it has emitted.
    env.getConfig().enableObjectReuse();
  }

  /** Adds the pipeline to {@code env}. */
  public static void build(StreamExecutionEnvironment env, Configuration conf) {
    build(env, conf, SentenceStreamHook.NONE);
  }

  /** Adds the pipeline to {@code env}, with {@code hook} between decoding and embedding. */
  public static void build(StreamExecutionEnvironment env, Configuration conf, SentenceStreamHook hook) {
    build(env, conf, hook, null);
  }

  /**
   * Adds the pipeline to {@code env}, with {@code hook} between decoding and embedding and {@code observer}
   * hearing the trainer's rounds (when {@link TrainerOptions#ENABLED}).
   */
  public static void build(StreamExecutionEnvironment env, Configuration conf, SentenceStreamHook hook,
      ContinuousTrainer.RoundObserver observer) {
    TrustedRecords.install();
    EmbedderOptions.validate(conf);
    TrainerOptions.validate(conf);
    Properties kafka = EmbedderOptions.kafkaProperties(conf);

    DataStream<RawRecord> raw = env.fromSource(rawSource(conf, kafka, conf.get(EmbedderOptions.SENTENCES_TOPIC),
            conf.get(EmbedderOptions.GROUP_ID), startingOffsets(conf.get(EmbedderOptions.START_POSITION))),
            WatermarkStrategy.noWatermarks(), "sentences")
        .uid("sentences-source");
    SingleOutputStreamOperator<Sentence> sentences = raw
        .process(new DecodeFunction(), new AvroTypeInfo<>(Sentence.class))
        .name("decode").uid("decode");
    DataStream<DeadLetter> deadLetters = sentences.getSideOutput(DecodeFunction.DEAD_LETTERS);

    DataStream<ModelUpdate> updates;
    String registry = conf.get(EmbedderOptions.MODEL_REGISTRY);
    if (registry.isBlank()) {
      // No registry, no updates: an empty stream that ends when the sentences end.
      updates = raw.flatMap(new NoModelUpdates(), new AvroTypeInfo<>(ModelUpdate.class)).name("no-model-updates");
    } else {
      // Always from the beginning without a checkpoint: the latest promotion must reach a fresh job too.
      SingleOutputStreamOperator<ModelUpdate> decoded = env.fromSource(rawSource(conf, kafka,
              conf.get(EmbedderOptions.MODEL_UPDATES_TOPIC), conf.get(EmbedderOptions.GROUP_ID) + "-model-updates",
              OffsetsInitializer.earliest()), WatermarkStrategy.noWatermarks(), "model-updates")
          .uid("model-updates-source").setParallelism(1)
          .process(new ModelUpdateDecodeFunction(conf.get(EmbedderOptions.REGISTRY_NAME)),
              new AvroTypeInfo<>(ModelUpdate.class))
          .name("decode-model-updates").uid("decode-model-updates").setParallelism(1);
      deadLetters = deadLetters.union(decoded.getSideOutput(DecodeFunction.DEAD_LETTERS));
      updates = decoded;
    }

    SingleOutputStreamOperator<Embedding> embeddings = hook.apply(sentences).connect(updates.broadcast())
        .transform("embed", new AvroTypeInfo<>(Embedding.class),
            new EmbedOperator(conf.get(EmbedderOptions.MODEL), registry, conf.get(EmbedderOptions.BATCH_SIZE),
                conf.get(EmbedderOptions.ENCODER_BATCH_SIZE), conf.get(EmbedderOptions.BATCH_MAX_WAIT).toMillis(),
                conf.get(EmbedderOptions.ENCODER_THREADS)))
        .uid("embed");

    if (conf.get(TrainerOptions.ENABLED)) {
      deadLetters = deadLetters.union(addTrainer(env, conf, kafka, observer));
    }

    embeddings.sinkTo(sink(conf, kafka, conf.get(EmbedderOptions.EMBEDDINGS_TOPIC), Embedding.class,
            Embedding::getId, "embeddings"))
        .name("embeddings-sink").uid("embeddings-sink");
    deadLetters.sinkTo(sink(conf, kafka, conf.get(EmbedderOptions.DEAD_LETTERS_TOPIC), DeadLetter.class,
            null, "dead-letters"))
        .name("dead-letters-sink").uid("dead-letters-sink");
  }

  /**
   * The trainer: {@code feedback-pairs} → decode (bad records to dead letters) → trainer operator, all at
   * parallelism 1. Its model updates reach the embedding operators through the model-updates topic.
   *
   * @return the dead letters of the feedback decoder
   */
  private static DataStream<DeadLetter> addTrainer(StreamExecutionEnvironment env, Configuration conf,
      Properties kafka, ContinuousTrainer.RoundObserver observer) {
    SingleOutputStreamOperator<FeedbackPair> feedback = env.fromSource(rawSource(conf, kafka,
            conf.get(TrainerOptions.FEEDBACK_TOPIC), conf.get(EmbedderOptions.GROUP_ID) + "-feedback",
            startingOffsets(conf.get(EmbedderOptions.START_POSITION))), WatermarkStrategy.noWatermarks(),
            "feedback-pairs")
        .uid("feedback-source").setParallelism(1)
        .process(new FeedbackDecodeFunction(), new AvroTypeInfo<>(FeedbackPair.class))
        .name("decode-feedback").uid("decode-feedback").setParallelism(1);
    Map<String, Object> clients = new HashMap<>();
    kafka.forEach((k, v) -> clients.put((String) k, v));
    clients.put("bootstrap.servers", conf.get(EmbedderOptions.BOOTSTRAP_SERVERS));
    String[] evalFiles = conf.get(TrainerOptions.EVAL_CORPUS).isBlank() ? null : new String[] {
        conf.get(TrainerOptions.EVAL_CORPUS), conf.get(TrainerOptions.EVAL_QUERIES),
        conf.get(TrainerOptions.EVAL_QRELS)};
    feedback.transform("trainer", new AvroTypeInfo<>(ModelUpdate.class),
            new TrainerOperator(ContinuousTrainer.Settings.from(conf), conf.get(EmbedderOptions.MODEL_REGISTRY),
                conf.get(EmbedderOptions.REGISTRY_NAME), conf.get(EmbedderOptions.MODEL_UPDATES_TOPIC), clients,
                evalFiles, observer))
        .uid("trainer").setParallelism(1).setMaxParallelism(1)
        .sinkTo(new DiscardingSink<>()).name("round-updates").uid("round-updates").setParallelism(1);
    return feedback.getSideOutput(DecodeFunction.DEAD_LETTERS);
  }

  /** Emits nothing: the model-update input of a job without a registry. */
  private static final class NoModelUpdates
      implements org.apache.flink.api.common.functions.FlatMapFunction<RawRecord, ModelUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public void flatMap(RawRecord value, org.apache.flink.util.Collector<ModelUpdate> out) {
      // no updates
    }
  }

  private static KafkaSource<RawRecord> rawSource(Configuration conf, Properties kafka, String topic, String group,
      OffsetsInitializer start) {
    KafkaSourceBuilder<RawRecord> source = KafkaSource.<RawRecord>builder()
        .setBootstrapServers(conf.get(EmbedderOptions.BOOTSTRAP_SERVERS))
        .setTopics(topic)
        .setGroupId(group)
        .setDeserializer(new RawRecordDeserializer())
        .setProperties(kafka)
        .setStartingOffsets(start);
    if (conf.get(EmbedderOptions.BOUNDED)) {
      source.setBounded(OffsetsInitializer.latest());
    }
    // Kafka transactions must be read committed, whatever the caller's properties say about other things.
    source.setProperty("isolation.level", "read_committed");
    return source.build();
  }

  private static <T extends org.apache.avro.specific.SpecificRecord> KafkaSink<T> sink(Configuration conf,
      Properties kafka, String topic, Class<T> type, AvroRecordSerializer.SerializableKey<T> key, String name) {
    Guarantee guarantee = conf.get(EmbedderOptions.DELIVERY_GUARANTEE);
    Properties producer = new Properties();
    producer.putAll(kafka);
    producer.setProperty("transaction.timeout.ms",
        Long.toString(conf.get(EmbedderOptions.TRANSACTION_TIMEOUT).toMillis()));
    producer.putIfAbsent("linger.ms", "5");
    return KafkaSink.<T>builder()
        .setBootstrapServers(conf.get(EmbedderOptions.BOOTSTRAP_SERVERS))
        .setKafkaProducerConfig(producer)
        .setRecordSerializer(new AvroRecordSerializer<>(topic, type, key))
        .setDeliveryGuarantee(guarantee == Guarantee.EXACTLY_ONCE
            ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE)
        .setTransactionalIdPrefix(conf.get(EmbedderOptions.TRANSACTIONAL_ID_PREFIX) + "-" + name)
        .build();
  }

  private static OffsetsInitializer startingOffsets(StartPosition position) {
    return switch (position) {
      case EARLIEST -> OffsetsInitializer.earliest();
      case LATEST -> OffsetsInitializer.latest();
      case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
    };
  }

  /**
   * Reads a configuration from arguments: {@code --properties FILE} (a Java properties file) and
   * {@code key=value} pairs, later ones winning.
   *
   * @throws IllegalArgumentException naming an argument that is neither
   */
  public static Configuration parseArguments(String... args) throws IOException {
    Configuration conf = new Configuration();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--properties")) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("--properties needs a file");
        }
        loadProperties(conf, Path.of(args[++i]));
      } else if (arg.contains("=")) {
        int eq = arg.indexOf('=');
        conf.setString(arg.substring(0, eq).replaceFirst("^--", ""), arg.substring(eq + 1));
      } else {
        throw new IllegalArgumentException("Unexpected argument '" + arg + "': use --properties FILE or key=value");
      }
    }
    return conf;
  }

  /** Adds the entries of a properties file to {@code conf}. */
  public static void loadProperties(Configuration conf, Path file) throws IOException {
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      props.load(in);
    }
    props.stringPropertyNames().forEach(k -> conf.setString(k, props.getProperty(k).trim()));
  }

  /** Entry point on a Flink cluster. */
  public static void main(String[] args) throws Exception {
    Configuration conf = parseArguments(args);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    configureEnvironment(env, conf);
    build(env, conf);
    env.execute(JOB_NAME);
  }
}
