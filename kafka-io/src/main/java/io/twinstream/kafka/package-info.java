/**
 * Kafka without Flink, for the parts of Twinstream that are clients rather than jobs: topics
 * created and waited for ({@link io.twinstream.kafka.Topics}), a topic read to its end ({@link
 * io.twinstream.kafka.TopicReader}), and a registry's decisions announced on {@code model-updates}
 * ({@link io.twinstream.kafka.KafkaModelUpdates}).
 */
package io.twinstream.kafka;
