/**
 * The model registry: versions of model bundles published atomically and verified, {@code CURRENT}
 * and {@code HISTORY}, on any {@link io.twinstream.encoder.registry.RegistryStore} (a local or
 * shared disk here, S3 or HDFS through Flink's file systems in {@code stream-embedder}), and the
 * {@link io.twinstream.records.ModelUpdate} records that announce its decisions.
 */
package io.twinstream.encoder.registry;
