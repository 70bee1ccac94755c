/** Avro records written to Kafka with single-object encoding, keyed by a field of the record. */
package io.twinstream.embedder.sink;
