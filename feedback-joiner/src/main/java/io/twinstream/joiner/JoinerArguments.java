package io.twinstream.joiner;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The joiner's command line ({@code twinstream joiner ...} and {@code java -jar
 * twinstream-feedback-joiner-*-app.jar ...} take the same): the join's {@link JoinerConfig#OPTIONS}
 * plus where to run.
 *
 * @param config the join
 * @param bootstrap Kafka bootstrap servers (required)
 * @param applicationId Kafka Streams application id: consumer group, internal topics' prefix
 * @param stateDir where the state stores live
 * @param metricsPort port of {@code /metrics}; 0 = none
 * @param progressSeconds seconds between progress lines on stderr; 0 = none
 * @param kafka Kafka client properties for every client of the joiner (security.protocol, sasl.*,
 *     ssl.*, config.providers...), from {@code --kafka-config}; empty = none
 */
public record JoinerArguments(
    JoinerConfig config,
    String bootstrap,
    String applicationId,
    Path stateDir,
    int metricsPort,
    int progressSeconds,
    Map<String, String> kafka) {

  /** Environment variable naming the default {@code --kafka-config} file, as for every command. */
  public static final String KAFKA_CONFIG_ENV = "TWINSTREAM_KAFKA_CONFIG";

  public JoinerArguments {
    kafka = Map.copyOf(kafka);
  }

  /** The options that say where and how the joiner runs, after the join's own. */
  public static final List<JoinerConfig.Option> RUNTIME_OPTIONS =
      List.of(
          new JoinerConfig.Option("--bootstrap", "(required)", "Kafka bootstrap servers."),
          new JoinerConfig.Option(
              "--application-id",
              "twinstream-joiner",
              "Kafka Streams application id (consumer group, internal topics' prefix)."),
          new JoinerConfig.Option(
              "--state-dir",
              System.getProperty("java.io.tmpdir") + "/twinstream-joiner",
              "Directory of the state stores (RocksDB; restored from changelogs if lost)."),
          new JoinerConfig.Option(
              "--metrics-port", "9404", "Port of the Prometheus /metrics endpoint; 0 = none."),
          new JoinerConfig.Option(
              "--progress", "10", "Seconds between progress lines on stderr; 0 = none."),
          new JoinerConfig.Option(
              "--kafka-config",
              "$" + KAFKA_CONFIG_ENV + ", if set",
              "Kafka client properties file (security.protocol, sasl.*, ssl.*, config.providers"
                  + "...) for every client; secrets through Kafka's config providers."));

  /**
   * Parses {@code --name value} arguments.
   *
   * @throws IllegalArgumentException naming the option and what is wrong with it
   */
  public static JoinerArguments parse(String... args) {
    Map<String, String> values = new LinkedHashMap<>();
    for (JoinerConfig.Option o : all()) {
      values.put(o.name(), o.defaultValue());
    }
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      String value = null;
      int eq = name.indexOf('=');
      if (name.startsWith("--") && eq > 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (!values.containsKey(name)) {
        throw new IllegalArgumentException("unknown option " + name + " (see --help)");
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("option " + name + " needs a value");
        }
        value = args[++i];
      }
      values.put(name, value);
    }
    String bootstrap = values.get("--bootstrap");
    if (bootstrap.equals("(required)") || bootstrap.isBlank()) {
      throw new IllegalArgumentException("option --bootstrap is required");
    }
    JoinerConfig config =
        new JoinerConfig(
            values.get("--interactions"),
            values.get("--documents"),
            values.get("--pairs"),
            values.get("--dead-letters"),
            duration(values, "--session-gap"),
            duration(values, "--grace"),
            duration(values, "--late-retention"),
            bool(values, "--skip-next"),
            new Propensity(number(values, "--propensity-eta"), number(values, "--max-weight")),
            duration(values, "--satisfied-dwell"),
            duration(values, "--idle-advance"));
    int port = integer(values, "--metrics-port");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("option --metrics-port must be 0-65535, got " + port);
    }
    int progress = integer(values, "--progress");
    if (progress < 0) {
      throw new IllegalArgumentException("option --progress must be >= 0, got " + progress);
    }
    return new JoinerArguments(
        config,
        bootstrap,
        values.get("--application-id"),
        Path.of(values.get("--state-dir")),
        port,
        progress,
        kafkaConfig(values.get("--kafka-config")));
  }

  /** The properties of the {@code --kafka-config} file, or of {@value #KAFKA_CONFIG_ENV}'s. */
  private static Map<String, String> kafkaConfig(String option) {
    String file = option;
    if (file.startsWith("$")) {
      file = System.getenv().getOrDefault(KAFKA_CONFIG_ENV, "");
    }
    if (file.isBlank()) {
      return Map.of();
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(Path.of(file))) {
      p.load(in);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "option --kafka-config: cannot read " + file + ": " + e.getMessage());
    }
    Map<String, String> out = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k).trim()));
    return out;
  }

  /** Every option with its default and meaning, for {@code --help}. */
  public static String usage() {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: twinstream joiner --bootstrap HOST:PORT [options]\n")
        .append("Turns impressions and clicks into weighted training pairs (Kafka Streams).\n");
    for (JoinerConfig.Option o : all()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "  %-18s %s (default: %s)%n",
              o.name(),
              o.description(),
              o.defaultValue()));
    }
    return sb.toString();
  }

  private static List<JoinerConfig.Option> all() {
    List<JoinerConfig.Option> all = new ArrayList<>(JoinerConfig.OPTIONS);
    all.addAll(RUNTIME_OPTIONS);
    return all;
  }

  private static Duration duration(Map<String, String> values, String name) {
    String text = values.get(name);
    try {
      return Duration.parse(text.startsWith("P") || text.startsWith("p") ? text : "PT" + text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "option " + name + " must be a duration such as 30s, 5m or PT1H, got '" + text + "'");
    }
  }

  private static double number(Map<String, String> values, String name) {
    try {
      return Double.parseDouble(values.get(name));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "option " + name + " must be a number, got '" + values.get(name) + "'");
    }
  }

  private static int integer(Map<String, String> values, String name) {
    try {
      return Integer.parseInt(values.get(name));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "option " + name + " must be an integer, got '" + values.get(name) + "'");
    }
  }

  private static boolean bool(Map<String, String> values, String name) {
    String v = values.get(name).toLowerCase(Locale.ROOT);
    if (!v.equals("true") && !v.equals("false")) {
      throw new IllegalArgumentException(
          "option " + name + " must be true or false, got '" + values.get(name) + "'");
    }
    return Boolean.parseBoolean(v);
  }
}
