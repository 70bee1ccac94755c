/**
 * The decode stage in Flink: one {@link io.twinstream.embedder.decode.DecodeFunction} around the
 * plain-Java decoders of {@code io.twinstream.schemas.decode}, for every topic a job reads.
 */
package io.twinstream.embedder.decode;
