/**
 * Twinstream's Flink jobs, assembled: the embedding job ({@link
 * io.twinstream.embedder.EmbedderJob}), the options every job shares ({@link
 * io.twinstream.embedder.JobOptions}) and the embedding ones ({@link
 * io.twinstream.embedder.EmbedderOptions}), the job environment, and the Kafka sources and sinks.
 * The sub-packages are building blocks that know no options: decode stage, operators, sources,
 * sinks, the registry on Flink file systems.
 */
package io.twinstream.embedder;
