package io.twinstream.joiner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.records.DeadLetter;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Interaction;
import io.twinstream.records.InteractionType;
import io.twinstream.testkit.EmbeddedKafka;
import io.twinstream.testkit.KafkaRecords;
import io.twinstream.testkit.TopicTail;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The joiner application on a real broker: pairs out, dead letters, metrics, a restart. */
class FeedbackJoinerITCase {

  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;

  @Test
  void joinsSearchesIntoPairsExactlyOnceAcrossARestartAndServesItsMetrics() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopics(
          Map.of("sentences", 1, "interactions", 1, "feedback-pairs", 1, "dead-letters", 1),
          Map.of());
      KafkaRecords.produceSentences(
          bootstrap,
          "sentences",
          Map.of("d0", "text zero", "d1", "text one", "d2", "text two", "d3", "text three"));
      int port;
      try (ServerSocket free = new ServerSocket(0)) {
        port = free.getLocalPort();
      }
      String[] args = {
        "--bootstrap", bootstrap,
        "--state-dir", dir.resolve("state").toString(),
        "--metrics-port", Integer.toString(port),
        "--progress", "0",
        "--session-gap", "2s",
        "--grace", "0s",
        "--idle-advance", "5s",
        "--propensity-eta", "1"
      };
      Consumer<String> quiet = line -> {};
      try (TopicTail pairs = new TopicTail(bootstrap, "feedback-pairs");
          TopicTail dead = new TopicTail(bootstrap, "dead-letters")) {
        try (FeedbackJoiner joiner = FeedbackJoiner.start(JoinerArguments.parse(args), quiet)) {
          KafkaRecords.produce(bootstrap, "interactions", search("s1", "q1", 2), i -> null);
          KafkaRecords.produceRaw(
              bootstrap, "interactions", null, "garbage".getBytes(StandardCharsets.UTF_8));
          List<FeedbackPair> first = pairs.await(FeedbackPair.class, WAIT, l -> l.size() >= 3);
          assertEquals(3, first.size(), first.toString());
          for (FeedbackPair p : first) {
            assertEquals(3f, p.getWeight(), p.toString()); // click at rank 2: 1 / (1/3)
          }
          List<DeadLetter> letters = dead.await(DeadLetter.class, WAIT, l -> !l.isEmpty());
          assertEquals("decode-interaction", letters.get(0).getStage().toString());
          String metrics =
              HttpClient.newHttpClient()
                  .send(
                      HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body();
          assertTrue(metrics.contains("twinstream_joiner_pairs_out_total 3"), metrics);
          assertTrue(metrics.contains("twinstream_joiner_undecodable_total 1"), metrics);
          assertTrue(metrics.contains("twinstream_joiner_running 1"), metrics);
          for (String probe : List.of("/healthz", "/readyz")) {
            HttpResponse<String> answer =
                HttpClient.newHttpClient()
                    .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + port + probe))
                            .build(),
                        HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode(), probe + ": " + answer.body());
            assertEquals("RUNNING\n", answer.body(), probe);
          }
        }
        // Restarted on the same state: the next search joins, the first one's pairs do not repeat.
        try (FeedbackJoiner joiner = FeedbackJoiner.start(JoinerArguments.parse(args), quiet)) {
          KafkaRecords.produce(bootstrap, "interactions", search("s2", "q2", 1), i -> null);
          List<FeedbackPair> all = pairs.await(FeedbackPair.class, WAIT, l -> l.size() >= 5);
          pairs.readToEnd();
          List<FeedbackPair> settled = pairs.decoded(FeedbackPair.class);
          assertEquals(5, settled.size(), settled.toString());
          assertEquals(
              2, settled.stream().filter(p -> p.getAnchorId().toString().equals("q2")).count());
          assertTrue(all.size() >= 5);
        }
      }
    }
  }

  /** Four results shown for {@code query}, the one at {@code clickedRank} clicked. */
  private static List<Interaction> search(String session, String query, int clickedRank) {
    Instant t = Instant.now();
    List<Interaction> out = new ArrayList<>();
    for (int rank = 0; rank < 4; rank++) {
      out.add(event(session, query, "d" + rank, InteractionType.IMPRESSION, rank, t));
    }
    out.add(
        event(
            session,
            query,
            "d" + clickedRank,
            InteractionType.CLICK,
            clickedRank,
            t.plusMillis(500)));
    return out;
  }

  private static Interaction event(
      String session, String query, String doc, InteractionType type, int rank, Instant t) {
    return Interaction.newBuilder()
        .setQueryId(query)
        .setQueryText("what about " + query)
        .setDocId(doc)
        .setType(type)
        .setPosition(rank)
        .setSessionId(session)
        .setTs(t)
        .build();
  }
}
