/**
 * The model registry on any file system Flink reaches ({@code s3://}, {@code hdfs://}, {@code
 * file:}): {@link io.twinstream.embedder.registry.FlinkRegistryStore}, and {@link
 * io.twinstream.embedder.registry.RegistryLocations}, which opens a registry from the location a
 * user gives.
 */
package io.twinstream.embedder.registry;
