package io.twinstream.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * Options shared by the commands that talk to Kafka: where it is, and the client's settings (SASL,
 * TLS...) from a properties file, so that no secret has to be on a command line. A value in the
 * file can name an environment variable through Kafka's own config providers ({@code
 * config.providers=env} and {@code ${env:NAME}}); the client resolves it, so the secret never
 * reaches Twinstream's settings or logs.
 */
final class KafkaClientOptions {

  /** The environment variable naming a client properties file when --kafka-config is not given. */
  static final String CONFIG_ENV = "TWINSTREAM_KAFKA_CONFIG";

  @Option(
      names = "--bootstrap",
      paramLabel = "HOST:PORT",
      description = "Kafka bootstrap servers (default: bootstrap.servers of --kafka-config).")
  String bootstrap;

  @Option(
      names = "--kafka-config",
      paramLabel = "FILE",
      description =
          "Kafka client properties (security.protocol, sasl.*, ssl.*, config.providers...), as for"
              + " Kafka's own tools' --command-config (default: the file $"
              + CONFIG_ENV
              + " names, if set).")
  Path config;

  @Option(
      names = "--kafka-property",
      paramLabel = "KEY=VALUE",
      description =
          "A Kafka client property, e.g. security.protocol=SASL_SSL (repeatable; put secrets in"
              + " --kafka-config instead).")
  Map<String, String> properties = new LinkedHashMap<>();

  /** Whether Kafka was named at all (for commands where it is optional). */
  boolean given() {
    return bootstrap != null || config != null || System.getenv(CONFIG_ENV) != null;
  }

  /**
   * The client configuration: the file's settings, then the passthrough properties, then the
   * bootstrap servers.
   *
   * @throws IllegalArgumentException when the file cannot be read or no bootstrap server is named
   */
  Map<String, Object> clientConfig() {
    Map<String, Object> config = new HashMap<>(fileSettings());
    config.putAll(properties);
    if (bootstrap != null) {
      config.put("bootstrap.servers", bootstrap);
    }
    if (!config.containsKey("bootstrap.servers")) {
      throw new IllegalArgumentException(
          "say where Kafka is: --bootstrap HOST:PORT, or bootstrap.servers in --kafka-config");
    }
    return config;
  }

  /** The bootstrap servers the client configuration names. */
  String bootstrapServers() {
    return String.valueOf(clientConfig().get("bootstrap.servers"));
  }

  /** The settings of --kafka-config (or $TWINSTREAM_KAFKA_CONFIG), or none. */
  Map<String, String> fileSettings() {
    Path file = config;
    if (file == null && System.getenv(CONFIG_ENV) != null) {
      file = Path.of(System.getenv(CONFIG_ENV));
    }
    if (file == null) {
      return Map.of();
    }
    return read(file);
  }

  static Map<String, String> read(Path file) {
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      props.load(in);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read the Kafka client properties " + file + ": " + e, e);
    }
    Map<String, String> out = new LinkedHashMap<>();
    props.stringPropertyNames().forEach(k -> out.put(k, props.getProperty(k).trim()));
    return out;
  }
}
