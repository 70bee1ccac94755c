/**
 * The embedding operator: micro-batches ({@link io.twinstream.embedder.operator.MicroBatcher})
 * embedded by the serving model of a {@link io.twinstream.encoder.serving.ModelSwitch}, swapped
 * between two batches; plain-Java cores ({@code MicroBatcher}, {@code BatchEmbedder}) with a thin
 * Flink operator around them.
 */
package io.twinstream.embedder.operator;
