package io.twinstream.embedder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;

/**
 * The arguments of a job jar: {@code --properties FILE} and {@code key=value} pairs, later ones
 * winning.
 */
public final class JobArguments {

  private JobArguments() {}

  /**
   * Reads a configuration from arguments.
   *
   * @throws IllegalArgumentException naming an argument that is neither
   */
  public static Configuration parse(String... args) throws IOException {
    Configuration conf = new Configuration();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--properties")) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("--properties needs a file");
        }
        loadProperties(conf, Path.of(args[++i]));
      } else if (arg.contains("=")) {
        int eq = arg.indexOf('=');
        conf.setString(arg.substring(0, eq).replaceFirst("^--", ""), arg.substring(eq + 1));
      } else {
        throw new IllegalArgumentException(
            "Unexpected argument '" + arg + "': use --properties FILE or key=value");
      }
    }
    return conf;
  }

  /** Adds the entries of a properties file to {@code conf}. */
  public static void loadProperties(Configuration conf, Path file) throws IOException {
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      props.load(in);
    }
    props.stringPropertyNames().forEach(k -> conf.setString(k, props.getProperty(k).trim()));
  }
}
