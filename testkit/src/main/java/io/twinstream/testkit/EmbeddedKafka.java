package io.twinstream.testkit;

import io.twinstream.kafka.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) running inside this JVM,
 * from the Kafka jars on the classpath. Used by the tests and by {@code twinstream run --embedded}
 * (which runs it in a child JVM through {@link EmbeddedKafkaMain}). Every internal topic uses
 * replication factor 1.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final Path dir;
  private final boolean deleteOnClose;
  private final int port;
  private final int internalPort;
  private final SaslSsl secured;
  private final KafkaRaftServer server;

  private EmbeddedKafka(
      Path dir,
      boolean deleteOnClose,
      int port,
      int internalPort,
      SaslSsl secured,
      KafkaRaftServer server) {
    this.dir = dir;
    this.deleteOnClose = deleteOnClose;
    this.port = port;
    this.internalPort = internalPort;
    this.secured = secured;
    this.server = server;
  }

  /**
   * A client listener that takes only SASL/PLAIN over TLS, as production clusters do.
   *
   * @param tls the broker's key store (and the clients' trust store)
   * @param users user name → password accepted by the listener
   */
  public record SaslSsl(TlsFiles tls, Map<String, String> users) {

    /** The client settings of {@code user} (with {@code password}, or a provider reference). */
    public Map<String, String> clientSettings(String user, String password) {
      return Map.of(
          "security.protocol", "SASL_SSL",
          "sasl.mechanism", "PLAIN",
          "sasl.jaas.config",
              "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                  + user
                  + "\" password=\""
                  + password
                  + "\";",
          "ssl.truststore.location", tls.trustStore().toString(),
          "ssl.truststore.type", "PKCS12");
    }
  }

  /** Starts a broker on a free port with its data in a temporary directory deleted on close. */
  public static EmbeddedKafka start() throws IOException {
    return start(Files.createTempDirectory("twinstream-kafka-"), 0, true);
  }

  /**
   * Starts a broker.
   *
   * @param dir data directory (formatted on first use, reused afterwards)
   * @param port client port, or 0 for a free one
   * @param deleteOnClose delete {@code dir} when the broker is closed
   */
  public static EmbeddedKafka start(Path dir, int port, boolean deleteOnClose) throws IOException {
    return start(dir, port, deleteOnClose, null);
  }

  /**
   * Starts a broker whose client port takes only SASL/PLAIN over TLS ({@code secured}); the broker
   * talks to itself on a plaintext port of its own, which {@link #admin()} uses too.
   */
  public static EmbeddedKafka start(Path dir, int port, boolean deleteOnClose, SaslSsl secured)
      throws IOException {
    int brokerPort = port > 0 ? port : freePort();
    int controllerPort = freePort();
    int internalPort = secured == null ? brokerPort : freePort();
    Path logs = dir.resolve("logs");
    Files.createDirectories(logs);
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    if (secured == null) {
      props.put(
          "listeners",
          "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
      props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
      props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    } else {
      props.put(
          "listeners",
          "PLAINTEXT://127.0.0.1:"
              + internalPort
              + ",SASL_SSL://127.0.0.1:"
              + brokerPort
              + ",CONTROLLER://127.0.0.1:"
              + controllerPort);
      props.put(
          "advertised.listeners",
          "PLAINTEXT://127.0.0.1:" + internalPort + ",SASL_SSL://127.0.0.1:" + brokerPort);
      props.put(
          "listener.security.protocol.map",
          "PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
      props.put("sasl.enabled.mechanisms", "PLAIN");
      StringBuilder jaas =
          new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
      secured
          .users()
          .forEach((u, pw) -> jaas.append(" user_").append(u).append("=\"").append(pw).append('"'));
      props.put("listener.name.sasl_ssl.plain.sasl.jaas.config", jaas.append(';').toString());
      props.put("ssl.keystore.location", secured.tls().keyStore().toString());
      props.put("ssl.keystore.password", secured.tls().password());
      props.put("ssl.key.password", secured.tls().password());
      props.put("ssl.keystore.type", "PKCS12");
    }
    props.put("log.dirs", logs.toAbsolutePath().toString());
    props.put("num.partitions", "1");
    props.put("auto.create.topics.enable", "false");
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    // A day, not Kafka's 15 min: a development job may checkpoint rarely, and its
    // transaction.timeout must then exceed checkpoint.interval x (tolerable failures + 2).
    props.put("transaction.max.timeout.ms", Long.toString(Duration.ofDays(1).toMillis()));
    props.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
    Path config = dir.resolve("server.properties");
    try (OutputStream out = Files.newOutputStream(config)) {
      props.store(out, "written by Twinstream's EmbeddedKafka");
    }
    format(dir, config);
    KafkaConfig kafkaConfig = KafkaConfig.fromProps(props, false);
    KafkaRaftServer server = new KafkaRaftServer(kafkaConfig, Time.SYSTEM);
    server.startup();
    EmbeddedKafka kafka =
        new EmbeddedKafka(dir, deleteOnClose, brokerPort, internalPort, secured, server);
    kafka.awaitReady(Duration.ofSeconds(60));
    LOG.info("Kafka broker ready at {} (data in {})", kafka.bootstrapServers(), dir);
    return kafka;
  }

  /** Formats the log directory with a new cluster id unless it was formatted before. */
  private static void format(Path dir, Path config) throws IOException {
    if (Files.exists(dir.resolve("logs").resolve("meta.properties"))) {
      return;
    }
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int code;
    try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
      code =
          StorageTool.execute(
              new String[] {
                "format",
                "-t",
                Uuid.randomUuid().toString(),
                "-c",
                config.toAbsolutePath().toString(),
                "--ignore-formatted"
              },
              out);
    }
    if (code != 0) {
      throw new IOException(
          "Formatting Kafka storage in "
              + dir
              + " failed (exit "
              + code
              + "): "
              + captured.toString(StandardCharsets.UTF_8));
    }
  }

  private void awaitReady(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    try (Admin admin = admin()) {
      while (System.nanoTime() < deadline) {
        try {
          admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          return;
        } catch (ExecutionException | TimeoutException e) {
          last = e;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for the broker", e);
        }
      }
    }
    throw new IOException(
        "Kafka broker at " + bootstrapServers() + " not ready within " + timeout, last);
  }

  /** {@code host:port} for clients. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** The client listener's security, if it is secured. */
  public Optional<SaslSsl> security() {
    return Optional.ofNullable(secured);
  }

  /** The client port. */
  public int port() {
    return port;
  }

  /**
   * {@code host:port} of the broker's plaintext port: {@link #bootstrapServers()} unless the broker
   * is secured, then a port of its own for the test's bookkeeping.
   */
  public String internalBootstrapServers() {
    return "127.0.0.1:" + internalPort;
  }

  /** An admin client for this broker (close it), on its plaintext port. */
  public Admin admin() {
    return Admin.create(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, internalBootstrapServers()));
  }

  /**
   * Creates topics (name → partitions) if absent and waits until every partition has a leader, so
   * that the first produce cannot hit {@code NOT_LEADER_OR_FOLLOWER}.
   */
  public void createTopics(Map<String, Integer> topics, Map<String, Map<String, String>> configs) {
    try (Admin admin = admin()) {
      Topics.create(admin, topics, configs, Duration.ofSeconds(30));
    }
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
    if (deleteOnClose) {
      deleteRecursively(dir);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("Could not delete {}: {}", root, e.getMessage());
    }
  }
}
