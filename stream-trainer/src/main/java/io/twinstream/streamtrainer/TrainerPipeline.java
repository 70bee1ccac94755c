package io.twinstream.streamtrainer;

import io.twinstream.embedder.JobOptions;
import io.twinstream.embedder.KafkaSinks;
import io.twinstream.embedder.KafkaSources;
import io.twinstream.embedder.decode.DecodeFunction;
import io.twinstream.records.DeadLetter;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.ModelUpdate;
import io.twinstream.schemas.ModelUpdateKeys;
import io.twinstream.schemas.TrustedRecords;
import io.twinstream.schemas.decode.RecordDecoders;
import io.twinstream.trainer.online.RoundObserver;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The trainer's part of a job graph: {@code feedback-pairs} → decode (bad records to {@code
 * dead-letters}) → {@link TrainerOperator} → {@code model-updates} through a transactional Kafka
 * sink. Parallelism 1, in a slot-sharing group of its own ({@link
 * TrainerOptions#SLOT_SHARING_GROUP}), so training takes its own slot.
 */
public final class TrainerPipeline {

  private TrainerPipeline() {}

  /** Adds the trainer to {@code env}; {@code observer} (may be null) hears its rounds. */
  public static void add(
      StreamExecutionEnvironment env, Configuration conf, RoundObserver observer) {
    TrustedRecords.install();
    JobOptions.validate(conf);
    String group = conf.get(TrainerOptions.SLOT_SHARING_GROUP);
    String registryName = conf.get(JobOptions.REGISTRY_NAME);
    SingleOutputStreamOperator<FeedbackPair> feedback =
        DecodeFunction.decode(
                KafkaSources.raw(
                        env,
                        conf,
                        conf.get(TrainerOptions.FEEDBACK_TOPIC),
                        conf.get(JobOptions.GROUP_ID) + "-feedback",
                        KafkaSources.startingOffsets(conf.get(JobOptions.START_POSITION)),
                        "feedback-pairs")
                    .setParallelism(1)
                    .slotSharingGroup(group),
                RecordDecoders.feedbackPairs(JobOptions.inputLimits(conf)),
                "feedbackIn",
                "decode-feedback")
            .setParallelism(1)
            .slotSharingGroup(group);

    Map<String, Object> clients = new HashMap<>();
    JobOptions.kafkaProperties(conf).forEach((k, v) -> clients.put((String) k, v));
    clients.put("bootstrap.servers", conf.get(JobOptions.BOOTSTRAP_SERVERS));
    String[] evalFiles =
        conf.get(TrainerOptions.EVAL_CORPUS).isBlank()
            ? null
            : new String[] {
              conf.get(TrainerOptions.EVAL_CORPUS),
              conf.get(TrainerOptions.EVAL_QUERIES),
              conf.get(TrainerOptions.EVAL_QRELS)
            };
    feedback
        .transform(
            "trainer",
            new AvroTypeInfo<>(ModelUpdate.class),
            new TrainerOperator(
                TrainerOptions.settings(conf),
                conf.get(JobOptions.MODEL_REGISTRY),
                registryName,
                conf.get(JobOptions.MODEL_UPDATES_TOPIC),
                clients,
                evalFiles,
                TrainerOptions.evalSampling(conf),
                observer))
        .uid("trainer")
        .setParallelism(1)
        .setMaxParallelism(1)
        .slotSharingGroup(group)
        .sinkTo(
            KafkaSinks.avro(
                conf,
                conf.get(JobOptions.MODEL_UPDATES_TOPIC),
                ModelUpdate.class,
                update -> ModelUpdateKeys.of(registryName, update),
                "model-updates"))
        .name("model-updates-sink")
        .uid("model-updates-sink")
        .setParallelism(1)
        .slotSharingGroup(group);

    feedback
        .getSideOutput(DecodeFunction.DEAD_LETTERS)
        .sinkTo(
            KafkaSinks.avro(
                conf,
                conf.get(JobOptions.DEAD_LETTERS_TOPIC),
                DeadLetter.class,
                null,
                "trainer-dead-letters"))
        .name("trainer-dead-letters-sink")
        .uid("trainer-dead-letters-sink")
        .setParallelism(1)
        .slotSharingGroup(group);
  }
}
