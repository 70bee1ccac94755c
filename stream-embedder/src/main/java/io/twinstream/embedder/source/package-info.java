/**
 * Kafka records kept raw ({@link io.twinstream.schemas.decode.RawRecord}) until the decode stage.
 */
package io.twinstream.embedder.source;
