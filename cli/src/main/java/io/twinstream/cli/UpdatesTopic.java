package io.twinstream.cli;

import picocli.CommandLine.Option;

/**
 * {@code --registry-name} and {@code --updates-topic}: where a registry's updates are, for the
 * commands that follow or announce them.
 */
final class UpdatesTopic {

  @Option(
      names = "--registry-name",
      defaultValue = "default",
      description = "Registry name: the key of its updates (default: ${DEFAULT-VALUE}).")
  String registryName;

  @Option(
      names = "--updates-topic",
      defaultValue = "model-updates",
      description = "The compacted model-updates topic (default: ${DEFAULT-VALUE}).")
  String topic;
}
