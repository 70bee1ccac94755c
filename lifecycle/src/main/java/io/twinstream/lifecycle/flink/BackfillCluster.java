package io.twinstream.lifecycle.flink;

import io.twinstream.embedder.store.StoreOptions;
import java.net.URI;
import java.util.Optional;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.SecurityOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Where a backfill job runs ({@link StoreOptions#BACKFILL_CLUSTER}): a mini-cluster in this
 * process, or a Flink session cluster reached through its REST endpoint, as {@code flink run -m}
 * submits — the job graph built here, the work done in the cluster's slots.
 *
 * <p>No jar is uploaded with the job: the cluster's JobManager and TaskManagers have the job jar on
 * their own class path ({@code lib/}, as the {@code twinstream-flink-backfill} image has it). ONNX
 * Runtime and DJL's tokenizers load native libraries, which a JVM lets one class loader load only
 * once: a job jar uploaded with every backfill gets a class loader per job, and the second backfill
 * on a TaskManager fails with {@code UnsatisfiedLinkError: ... already loaded in another
 * classloader} (seen on the standalone cluster of {@code ClusterLifecycleIT}).
 *
 * @param rest the cluster's REST endpoint; empty = local
 */
public record BackfillCluster(Optional<URI> rest) {

  /** A Flink mini-cluster in this process. */
  public static BackfillCluster local() {
    return new BackfillCluster(Optional.empty());
  }

  /**
   * The cluster {@code conf} names.
   *
   * @throws IllegalArgumentException naming the option when it is neither local nor
   *     http://HOST:PORT
   */
  public static BackfillCluster of(Configuration conf) {
    String where = conf.get(StoreOptions.BACKFILL_CLUSTER).trim();
    if (where.isEmpty() || where.equals("local")) {
      return local();
    }
    URI rest;
    try {
      rest = URI.create(where);
    } catch (IllegalArgumentException e) {
      rest = null;
    }
    if (rest == null
        || rest.getHost() == null
        || rest.getPort() < 0
        || !("http".equals(rest.getScheme()) || "https".equals(rest.getScheme()))) {
      throw new IllegalArgumentException(
          StoreOptions.BACKFILL_CLUSTER.key()
              + " must be local or the REST endpoint of a Flink session cluster as"
              + " http://HOST:PORT, got '"
              + where
              + "'");
    }
    return new BackfillCluster(Optional.of(rest));
  }

  /** Whether the backfill runs in this process. */
  public boolean isLocal() {
    return rest.isEmpty();
  }

  /** An environment whose jobs run where this says. */
  StreamExecutionEnvironment environment() {
    if (isLocal()) {
      return StreamExecutionEnvironment.getExecutionEnvironment();
    }
    URI uri = rest.orElseThrow();
    return StreamExecutionEnvironment.createRemoteEnvironment(
        uri.getHost(), uri.getPort(), client());
  }

  /** The REST client's settings for the cluster: its address, port and (https) SSL. */
  Configuration client() {
    URI uri = rest.orElseThrow();
    Configuration client = new Configuration();
    client.set(RestOptions.ADDRESS, uri.getHost());
    client.set(RestOptions.PORT, uri.getPort());
    if ("https".equals(uri.getScheme())) {
      client.set(SecurityOptions.SSL_REST_ENABLED, true);
    }
    return client;
  }

  @Override
  public String toString() {
    return rest.map(u -> "the Flink cluster at " + u).orElse("a local mini-cluster");
  }
}
