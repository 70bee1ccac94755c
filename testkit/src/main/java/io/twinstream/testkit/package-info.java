/**
 * For tests, the demo and the benchmarks, never for a job jar (checked by architecture-tests): a
 * real Kafka broker (KRaft) in this JVM ({@link io.twinstream.testkit.EmbeddedKafka}) or in a child
 * one ({@link io.twinstream.testkit.KafkaProcess}), topic tails that wait on Kafka's poll and read
 * to end offsets ({@link io.twinstream.testkit.TopicTail}), and producing helpers that check every
 * send ({@link io.twinstream.testkit.KafkaRecords}).
 */
package io.twinstream.testkit;
