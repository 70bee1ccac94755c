/**
 * The embedding operator: micro-batches ({@link io.twinstream.embedder.operator.MicroBatcher}, cut
 * by count and by estimated tokens) embedded on an {@link
 * io.twinstream.embedder.operator.EncodingLane} while the next batch forms, by the serving model of
 * a {@link io.twinstream.encoder.serving.ModelSwitch}, swapped between two batches; plain-Java
 * cores ({@code MicroBatcher}, {@code EncodingLane}, {@code BatchEmbedder}) with a thin Flink
 * operator around them.
 */
package io.twinstream.embedder.operator;
