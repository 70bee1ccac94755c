package io.twinstream.embedder.store;

import io.twinstream.store.StoreSpec;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/** Settings of the store sink job ({@link StoreSinkJob}), with defaults and descriptions. */
public final class StoreOptions {

  private StoreOptions() {}

  public static final ConfigOption<String> KIND =
      ConfigOptions.key("store.kind")
          .stringType()
          .defaultValue("lucene")
          .withDescription(
              "lucene (the embedded store: a directory on the task manager's disk) or pgvector"
                  + " (PostgreSQL with the pgvector extension).");

  public static final ConfigOption<String> LOCATION =
      ConfigOptions.key("store.location")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Required: the Lucene directory, or the jdbc:postgresql:// URL of the database.");

  public static final ConfigOption<String> TABLE =
      ConfigOptions.key("store.table")
          .stringType()
          .defaultValue("embeddings")
          .withDescription("pgvector: the table (created with its serving table if missing).");

  public static final ConfigOption<Integer> DIMENSIONS =
      ConfigOptions.key("store.dimensions")
          .intType()
          .defaultValue(384)
          .withDescription(
              "Vector dimensions (384 for the default model); embeddings of other dimensions are"
                  + " dead-lettered.");

  public static final ConfigOption<String> USER =
      ConfigOptions.key("store.user")
          .stringType()
          .defaultValue("")
          .withDescription("pgvector: database user (empty = the driver's default).");

  public static final ConfigOption<String> PASSWORD =
      ConfigOptions.key("store.password")
          .stringType()
          .defaultValue("")
          .withDescription(
              "pgvector: database password; empty = the task manager's $TWINSTREAM_STORE_PASSWORD,"
                  + " if set (keeps the secret out of the job's arguments, which the web UI shows).");

  public static final ConfigOption<Integer> BATCH_SIZE =
      ConfigOptions.key("store.batch-size")
          .intType()
          .defaultValue(500)
          .withDescription("Rows per store write at most; a batch also goes at every checkpoint.");

  public static final ConfigOption<Duration> BACKOFF_FIRST =
      ConfigOptions.key("store.backoff.first")
          .durationType()
          .defaultValue(Duration.ofSeconds(1))
          .withDescription("First wait after a failed store write; it doubles per retry.");

  public static final ConfigOption<Duration> BACKOFF_MAX =
      ConfigOptions.key("store.backoff.max")
          .durationType()
          .defaultValue(Duration.ofSeconds(30))
          .withDescription(
              "Longest wait between retries of a failed store write (retried until it succeeds).");

  public static final ConfigOption<String> GROUP_ID =
      ConfigOptions.key("store.group.id")
          .stringType()
          .defaultValue("twinstream-store-sink")
          .withDescription("Consumer group of the sink job's embeddings source.");

  public static final ConfigOption<Boolean> AUTO_BACKFILL =
      ConfigOptions.key("store.auto-backfill")
          .booleanType()
          .defaultValue(true)
          .withDescription(
              "twinstream run with a store and a registry: run the version lifecycle in the run"
                  + " process (backfill every version the registry decides to serve, and the first"
                  + " model into a store that serves nothing; cut over; announce FULLY_SERVED;"
                  + " drop replaced versions after store.grace). Off when a twinstream controller"
                  + " runs it.");

  public static final ConfigOption<Duration> GRACE =
      ConfigOptions.key("store.grace")
          .durationType()
          .noDefaultValue()
          .withDescription(
              "The version lifecycle: how long after a cut-over the replaced version's rows are"
                  + " kept before they are dropped (unless it serves again by then); unset = kept"
                  + " (a rollback can cut back to them; twinstream store drop removes them).");

  public static final ConfigOption<String> LIFECYCLE_TOPIC =
      ConfigOptions.key("store.lifecycle-topic")
          .stringType()
          .defaultValue("model-lifecycle")
          .withDescription(
              "The compacted topic where the version lifecycle records each step (key ="
                  + " registry/version), so that a restarted run or controller resumes a backfill"
                  + " and still drops what is due.");

  public static final ConfigOption<String> BACKFILL_CLUSTER =
      ConfigOptions.key("store.backfill-cluster")
          .stringType()
          .defaultValue("local")
          .withDescription(
              "Where the version lifecycle runs a backfill: local = a Flink mini-cluster in the"
                  + " process that runs the lifecycle (twinstream run, demo, backfill, controller);"
                  + " http://HOST:PORT = the REST endpoint of a Flink session cluster, whose"
                  + " TaskManagers run it in their slots at the job's parallelism; they must have"
                  + " this Twinstream's job jar in lib/ (the twinstream-flink-backfill image).");

  public static final ConfigOption<Boolean> BACKFILL_EMBEDDINGS =
      ConfigOptions.key("store.backfill-embeddings")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Also write a backfill's vectors to the embeddings topic (embeddings.topic), exactly"
                  + " once per backfill job and keyed by document id as the stream writes them, with"
                  + " the new version as model_version: stores fed from that topic (a Kafka Connect"
                  + " sink) get every document of the new version too, and switch on its"
                  + " FULLY_SERVED.");

  /** Every option, for documentation. */
  public static final List<ConfigOption<?>> ALL =
      List.of(
          KIND,
          LOCATION,
          TABLE,
          DIMENSIONS,
          USER,
          PASSWORD,
          BATCH_SIZE,
          BACKOFF_FIRST,
          BACKOFF_MAX,
          GROUP_ID,
          AUTO_BACKFILL,
          GRACE,
          LIFECYCLE_TOPIC,
          BACKFILL_CLUSTER,
          BACKFILL_EMBEDDINGS);

  /** The store {@code conf} names. */
  public static StoreSpec spec(Configuration conf) {
    String location =
        conf.getOptional(LOCATION)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "store.location is required: a directory for lucene, a"
                            + " jdbc:postgresql:// URL for pgvector"));
    return new StoreSpec(
        conf.get(KIND),
        location,
        conf.get(TABLE),
        conf.get(DIMENSIONS),
        conf.get(USER),
        conf.get(PASSWORD));
  }
}
