package io.twinstream.cli;

import io.twinstream.store.StoreSpec;
import picocli.CommandLine.Option;

/** Which vector store a command works on: {@code --store}, {@code --store-location} and co. */
final class StoreArguments {

  /**
   * Environment variable with the database password, instead of {@code --store-password}: the one
   * the job's store sink reads too.
   */
  static final String PASSWORD_ENV = StoreSpec.PASSWORD_ENV;

  @Option(
      names = "--store",
      defaultValue = "lucene",
      paramLabel = "lucene|pgvector",
      description =
          "lucene = the embedded store (a directory), pgvector = PostgreSQL with pgvector"
              + " (default: ${DEFAULT-VALUE}).")
  String kind;

  @Option(
      names = "--store-location",
      required = true,
      paramLabel = "DIR|JDBC_URL",
      description = "The Lucene directory, or the jdbc:postgresql:// URL.")
  String location;

  @Option(
      names = "--store-table",
      defaultValue = "embeddings",
      paramLabel = "TABLE",
      description = "pgvector: the table (default: ${DEFAULT-VALUE}).")
  String table;

  @Option(
      names = "--store-user",
      defaultValue = "",
      paramLabel = "USER",
      description = "pgvector: database user (default: the driver's).")
  String user;

  @Option(
      names = "--store-password",
      defaultValue = "",
      paramLabel = "PASSWORD",
      description = "pgvector: database password (default: $" + PASSWORD_ENV + ", if set).")
  String password;

  @Option(
      names = "--dimensions",
      defaultValue = "384",
      paramLabel = "N",
      description = "Vector dimensions (default: ${DEFAULT-VALUE}, the default model's).")
  int dimensions;

  /**
   * The store these arguments name.
   *
   * @throws IllegalArgumentException naming the option that is wrong
   */
  StoreSpec spec() {
    String pw = password;
    if (pw.isEmpty() && System.getenv(PASSWORD_ENV) != null) {
      pw = System.getenv(PASSWORD_ENV);
    }
    return new StoreSpec(kind, location, table, dimensions, user, pw);
  }
}
