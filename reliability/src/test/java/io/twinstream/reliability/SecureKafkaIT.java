package io.twinstream.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.TlsFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job, {@code produce} and {@code consume} against a broker that takes only SASL/PLAIN over
 * TLS, each a process of its own given one client properties file: its secrets (the user's
 * password, the trust store's) come from environment variables through Kafka's own config provider,
 * so they are never on a command line; and they appear in no log line of any of those processes (at
 * INFO), nor in the job's checkpoints.
 */
class SecureKafkaIT {

  @TempDir Path tmp;

  private static String secret() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return "pw-" + HexFormat.of().formatHex(b);
  }

  @Test
  void theJobAndTheToolsWorkOverSaslSslAndNeverLogTheSecrets() throws Exception {
    Path cli = Path.of(System.getProperty("twinstream.cliJar", "../cli/target/twinstream.jar"));
    TlsFiles tls = TlsFiles.create(tmp.resolve("tls"));
    String password = secret();
    try (EmbeddedKafka kafka =
        EmbeddedKafka.start(
            tmp.resolve("kafka"),
            0,
            true,
            new EmbeddedKafka.SaslSsl(tls, Map.of("twin", password)))) {
      Setup.createTopics(kafka, Map.of());
      Path client = tmp.resolve("client.properties");
      Files.writeString(
          client,
          String.join(
              "\n",
              "bootstrap.servers=" + kafka.bootstrapServers(),
              "security.protocol=SASL_SSL",
              "sasl.mechanism=PLAIN",
              "config.providers=env",
              "config.providers.env.class="
                  + "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
              "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
                  + " username=\"twin\" password=\"${env:TW_KAFKA_PASSWORD}\";",
              "ssl.truststore.location=" + tls.trustStore(),
              "ssl.truststore.type=PKCS12",
              "ssl.truststore.password=${env:TW_TRUSTSTORE_PASSWORD}",
              ""));
      Map<String, String> env =
          Map.of("TW_KAFKA_PASSWORD", password, "TW_TRUSTSTORE_PASSWORD", tls.password());
      List<String> info = List.of("-Dtwinstream.logLevel=INFO");
      List<Path> logs = new ArrayList<>();

      Path jobLog = tmp.resolve("job.log");
      logs.add(jobLog);
      JobProcess job =
          JobProcess.start(
              cli,
              info,
              List.of(
                  "run",
                  "--kafka-config",
                  client.toString(),
                  "--state-dir",
                  tmp.resolve("state").toString(),
                  "--checkpoint-interval",
                  "1s"),
              env,
              jobLog);
      try (job) {
        job.await(job.watch(JobProcess.RUNNING), Duration.ofMinutes(3), "a running job");
        Path input = tmp.resolve("in.txt");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 50; i++) {
          lines.append("Secured sentence number ").append(i).append(".\n");
        }
        Files.writeString(input, lines);
        Path produceLog = tmp.resolve("produce.log");
        logs.add(produceLog);
        assertEquals(
            0,
            JobProcess.start(
                    cli,
                    info,
                    List.of(
                        "produce",
                        "--kafka-config",
                        client.toString(),
                        "--input",
                        input.toString()),
                    env,
                    produceLog)
                .awaitExit(Duration.ofMinutes(2)),
            () -> read(produceLog));
        Path out = tmp.resolve("out.jsonl");
        Path consumeLog = tmp.resolve("consume.log");
        logs.add(consumeLog);
        assertEquals(
            0,
            JobProcess.start(
                    cli,
                    info,
                    List.of(
                        "consume",
                        "--kafka-config",
                        client.toString(),
                        "--output",
                        out.toString(),
                        "--max",
                        "50",
                        "--timeout",
                        "60"),
                    env,
                    consumeLog)
                .awaitExit(Duration.ofMinutes(3)),
            () -> read(consumeLog));
        assertEquals(50, Files.readAllLines(out).size(), () -> read(jobLog));

        // a wrong password: refused, and said so
        Path wrongLog = tmp.resolve("wrong.log");
        int wrong =
            JobProcess.start(
                    cli,
                    List.of(),
                    List.of(
                        "consume",
                        "--kafka-config",
                        client.toString(),
                        "--output",
                        tmp.resolve("none.jsonl").toString(),
                        "--timeout",
                        "5"),
                    Map.of("TW_KAFKA_PASSWORD", "not-it", "TW_TRUSTSTORE_PASSWORD", tls.password()),
                    wrongLog)
                .awaitExit(Duration.ofMinutes(2));
        assertNotEquals(0, wrong);
        assertTrue(read(wrongLog).contains("Authentication failed"), () -> read(wrongLog));
        job.stop(Duration.ofSeconds(60));
      }
      for (Path log : logs) {
        String text = read(log);
        assertTrue(text.length() > 1_000, log + " has the INFO lines");
        assertFalse(text.contains(password), log + " shows the SASL password");
        assertFalse(text.contains(tls.password()), log + " shows the trust store password");
      }
      assertTrue(read(jobLog).contains("sasl.jaas.config = [hidden]"), "Kafka logged its config");
      try (Stream<Path> files = Files.walk(tmp.resolve("state"))) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
          assertFalse(bytes.contains(password), f + " holds the SASL password");
        }
      }
    }
  }

  private static String read(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (Exception e) {
      return "(unreadable: " + e + ")";
    }
  }
}
