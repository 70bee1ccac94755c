/**
 * The one decode stage of every topic, in plain Java: a {@link
 * io.twinstream.schemas.decode.RawRecord} (a Kafka record as read) becomes a record or a {@link
 * io.twinstream.records.DeadLetter} that keeps the raw bytes and says why ({@link
 * io.twinstream.schemas.decode.RecordDecoder}, the instances per topic in {@link
 * io.twinstream.schemas.decode.RecordDecoders}). Flink and Kafka Streams only wrap it.
 */
package io.twinstream.schemas.decode;
