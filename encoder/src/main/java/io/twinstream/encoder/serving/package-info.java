/**
 * Serving a model that can change under load: {@link io.twinstream.encoder.serving.ModelSwitch}
 * follows {@link io.twinstream.records.ModelUpdate}s, loads and verifies the announced bundle off
 * the hot path and swaps it in between two batches. Plain Java, shared by the Flink embedding
 * operator and any other server.
 */
package io.twinstream.encoder.serving;
