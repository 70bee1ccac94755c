/**
 * Serialisation of Twinstream's Avro records ({@code io.twinstream.records}, generated from {@code
 * schemas/src/main/avro}) with Avro's single-object encoding, which Kafka carries without a schema
 * registry.
 */
package io.twinstream.schemas;
