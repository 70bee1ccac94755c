package io.twinstream.cli;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Options shared by the commands that talk to Kafka: where it is, and any client property (SASL,
 * SSL...).
 */
final class KafkaClientOptions {

  @Option(
      names = "--bootstrap",
      required = true,
      paramLabel = "HOST:PORT",
      description = "Kafka bootstrap servers.")
  String bootstrap;

  @Option(
      names = "--kafka-property",
      paramLabel = "KEY=VALUE",
      description = "A Kafka client property, e.g. security.protocol=SASL_SSL (repeatable).")
  Map<String, String> properties = new LinkedHashMap<>();

  /** The client configuration: bootstrap servers plus the passthrough properties. */
  Map<String, Object> clientConfig() {
    Map<String, Object> config = new HashMap<>(properties);
    config.put("bootstrap.servers", bootstrap);
    return config;
  }
}
