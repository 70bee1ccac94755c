package io.twinstream.joiner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.records.DeadLetter;
import io.twinstream.records.FeedbackPair;
import io.twinstream.records.Interaction;
import io.twinstream.records.InteractionType;
import io.twinstream.records.Sentence;
import io.twinstream.schemas.AvroCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JoinerTopologyTest {

  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
  private static final AvroCodec<Interaction> INTERACTIONS = AvroCodec.of(Interaction.class);
  private static final AvroCodec<Sentence> SENTENCES = AvroCodec.of(Sentence.class);
  private static final AvroCodec<FeedbackPair> PAIRS = AvroCodec.of(FeedbackPair.class);
  private static final AvroCodec<DeadLetter> DEAD = AvroCodec.of(DeadLetter.class);

  @TempDir Path stateDir;
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> interactions;
  private TestInputTopic<String, byte[]> documents;
  private TestOutputTopic<String, byte[]> pairs;
  private TestOutputTopic<String, byte[]> deadLetters;
  private JoinerMetrics metrics;

  /** Gap 60 s, grace 10 s, eta 1 (weights 1, 2, 3, ... up to 10). */
  private void start(JoinerConfig config) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "joiner-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    metrics = new JoinerMetrics();
    driver = new TopologyTestDriver(JoinerTopology.build(config, metrics), props);
    interactions =
        driver.createInputTopic(
            "interactions", new ByteArraySerializer(), new ByteArraySerializer());
    documents =
        driver.createInputTopic("sentences", new StringSerializer(), new ByteArraySerializer());
    pairs =
        driver.createOutputTopic(
            "feedback-pairs", new StringDeserializer(), new ByteArrayDeserializer());
    deadLetters =
        driver.createOutputTopic(
            "dead-letters", new StringDeserializer(), new ByteArrayDeserializer());
    for (int i = 0; i < 6; i++) {
      document("d" + i, "text of document " + i);
    }
  }

  private void start() {
    start(defaults());
  }

  private static JoinerConfig defaults() {
    return JoinerConfig.defaults()
        .withWindows(Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ofHours(1))
        .withPairs(false, new Propensity(1.0, 10), Duration.ofSeconds(30));
  }

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  @Test
  void aClickIsAPositiveAndTheResultsSkippedAboveItAreNegativesWeightedByItsRank()
      throws Exception {
    start();
    showFour("s1", "q1", 0);
    event("s1", "q1", "d2", InteractionType.CLICK, 2, 5, null);
    closeAll();
    Map<String, FeedbackPair> out = pairsByDoc();
    assertEquals(3, out.size(), out.toString());
    assertPair(out.get("d2"), 1f, 3f, "click", 2);
    assertPair(out.get("d0"), 0f, 3f, "skip-above", 0);
    assertPair(out.get("d1"), 0f, 3f, "skip-above", 1);
    assertEquals("the query q1", out.get("d2").getAnchor().toString());
    assertEquals("text of document 2", out.get("d2").getCandidate().toString());
    assertEquals("q1", out.get("d2").getAnchorId().toString());
    assertEquals(3, metrics.get("pairs_out"));
    assertEquals(1, metrics.get("positives_out"));
    assertEquals(1, metrics.get("searches_closed"));
  }

  @Test
  void aClickAtTheTopRankGivesNoNegativeUnlessTheNextResultCounts() throws Exception {
    start();
    showFour("s1", "q1", 0);
    event("s1", "q1", "d0", InteractionType.CLICK, 0, 5, null);
    closeAll();
    Map<String, FeedbackPair> out = pairsByDoc();
    assertEquals(List.of("d0"), List.copyOf(out.keySet()));
    assertPair(out.get("d0"), 1f, 1f, "click", 0);

    close();
    start(defaults().withPairs(true, new Propensity(1, 10), Duration.ofSeconds(30)));
    showFour("s1", "q1", 0);
    event("s1", "q1", "d0", InteractionType.CLICK, 0, 5, null);
    closeAll();
    out = pairsByDoc();
    assertEquals(2, out.size(), out.toString());
    assertPair(out.get("d1"), 0f, 1f, "skip-next", 1);
  }

  @Test
  void severalClicksMakeEachSkippedResultANegativeOnceWithTheWeightOfTheNearestClickBelow()
      throws Exception {
    start();
    showFour("s1", "q1", 0);
    event("s1", "q1", "d1", InteractionType.CLICK, 1, 5, null);
    event("s1", "q1", "d3", InteractionType.CLICK, 3, 8, null);
    closeAll();
    Map<String, FeedbackPair> out = pairsByDoc();
    assertEquals(4, out.size(), out.toString());
    assertPair(out.get("d1"), 1f, 2f, "click", 1);
    assertPair(out.get("d3"), 1f, 4f, "click", 3);
    assertPair(out.get("d0"), 0f, 2f, "skip-above", 0);
    assertPair(out.get("d2"), 0f, 4f, "skip-above", 2);
  }

  @Test
  void repeatedEventsAreDroppedAndCounted() throws Exception {
    start();
    showFour("s1", "q1", 0);
    showFour("s1", "q1", 1); // the front end sent the list again
    event("s1", "q1", "d2", InteractionType.CLICK, 2, 5, null);
    event("s1", "q1", "d2", InteractionType.CLICK, 2, 6, null);
    closeAll();
    assertEquals(3, pairsByDoc().size());
    assertEquals(5, metrics.get("duplicates"));
    assertTrue(deadLetters.isEmpty(), "duplicates are not dead letters");
  }

  @Test
  void aClickAfterItsSearchClosedIsDeadLetteredAsLateAndNotJoined() throws Exception {
    start();
    showFour("s1", "q1", 0);
    event("s1", "q1", "d1", InteractionType.CLICK, 1, 5, null);
    closeAll(); // stream time passes 5 + 60 + 10 s
    assertEquals(2, pairsByDoc().size());
    event("s1", "q1", "d3", InteractionType.CLICK, 3, 20, null);
    closeAll();
    assertTrue(pairs.isEmpty(), "a late click makes no pair");
    DeadLetter late = singleDeadLetter();
    assertTrue(
        late.getError().toString().startsWith("late event at interactions-0@"), late.toString());
    assertTrue(late.getError().toString().contains("its search closed at"), late.toString());
    assertEquals("join", late.getStage().toString());
    assertTrue(late.getValue() != null, "the late event's bytes are kept");
    assertEquals(1, metrics.get("late"));
  }

  @Test
  void aClickWithinTheGracePeriodIsStillJoined() throws Exception {
    start();
    showFour("s1", "q1", 0);
    // Another search's event moves stream time past the gap (60 s) but not past the grace (10 s).
    event("s2", "q2", "d0", InteractionType.IMPRESSION, 0, 65, null);
    event("s1", "q1", "d3", InteractionType.CLICK, 3, 4, null); // out of order, within grace
    closeAll();
    assertEquals(4, pairsByDoc().size());
    assertEquals(0, metrics.get("late"));
  }

  @Test
  void aClickWithoutAnImpressionIsAnOrphanWithItsReason() throws Exception {
    start();
    showFour("s1", "q1", 0);
    event("s1", "q1", "d5", InteractionType.CLICK, 7, 5, null);
    closeAll();
    assertTrue(pairs.isEmpty());
    DeadLetter orphan = singleDeadLetter();
    assertEquals(
        "click on document d5 without an impression in its search (query q1, session s1)",
        orphan.getError().toString());
    assertEquals("interactions", orphan.getTopic().toString());
    assertEquals(4, orphan.getOffset());
    assertEquals(1, metrics.get("orphans"));
  }

  @Test
  void aClickedDocumentWithNoTextIsAnOrphanAndItsSkippedResultsStayUnpaired() throws Exception {
    start();
    showFour("s1", "q1", 0);
    event("s1", "q1", "d9", InteractionType.IMPRESSION, 4, 0, null);
    event("s1", "q1", "d9", InteractionType.CLICK, 4, 5, null);
    closeAll();
    DeadLetter orphan = singleDeadLetter();
    assertTrue(
        orphan.getError().toString().startsWith("unknown document d9 (query q1)"),
        orphan.toString());
    assertEquals(4, pairsByDoc().size(), "the skipped results above it are still negatives");
  }

  @Test
  void theTextOfAPairIsTheOneTheUserSawWhenTheDocumentWasShown() throws Exception {
    start();
    showFour("s1", "q1", 0);
    document("d2", "document 2, edited after it was shown");
    event("s1", "q1", "d2", InteractionType.CLICK, 2, 5, null);
    closeAll();
    assertEquals("text of document 2", pairsByDoc().get("d2").getCandidate().toString());
  }

  @Test
  void undecodableAndInvalidRecordsAreDeadLetteredWithTheReasonAndTheirBytes() throws Exception {
    start();
    byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
    interactions.pipeInput("k".getBytes(StandardCharsets.UTF_8), garbage, T0);
    Interaction noRank = interaction("s1", "q1", "d1", InteractionType.CLICK, -1, 1, null);
    interactions.pipeInput(null, INTERACTIONS.encode(noRank), T0);
    List<DeadLetter> dead = allDeadLetters();
    assertEquals(2, dead.size());
    assertEquals("decode-interaction", dead.get(0).getStage().toString());
    assertEquals(garbage.length, dead.get(0).getValue().remaining());
    assertTrue(
        dead.get(1).getError().toString().endsWith("has rank -1 < 0"), dead.get(1).toString());
    assertEquals(2, metrics.get("undecodable"));
  }

  @Test
  void anEventFarAheadOfTheClockIsDeadLetteredBeforeTheBrokerWouldRefuseIt() throws Exception {
    start();
    Interaction future = interaction("s1", "q1", "d1", InteractionType.CLICK, 1, 0, null);
    future.setTs(Instant.now().plus(Duration.ofDays(2)));
    interactions.pipeInput(null, INTERACTIONS.encode(future), Instant.now());
    DeadLetter letter = singleDeadLetter();
    assertTrue(letter.getError().toString().contains("ahead of the clock"), letter.toString());
    assertEquals(1, metrics.get("undecodable"));
  }

  @Test
  void searchesCloseOnlyAfterTheirLastEventWhenTheNextSearchComes() throws Exception {
    start(
        defaults()
            .withWindows(Duration.ofMillis(250), Duration.ZERO, Duration.ofHours(1))
            .withIdleAdvance(Duration.ofSeconds(5)));
    for (int s = 0; s < 50; s++) {
      Instant t = T0.plusMillis(500L * s);
      for (int rank = 0; rank < 4; rank++) {
        Interaction shown =
            interaction("u", "q" + s, "d" + rank, InteractionType.IMPRESSION, rank, 0, null);
        shown.setTs(t);
        shown.setRequestId("search-" + s);
        interactions.pipeInput(null, INTERACTIONS.encode(shown), t);
      }
      Interaction click = interaction("u", "q" + s, "d2", InteractionType.CLICK, 2, 0, null);
      click.setTs(t.plusMillis(200));
      click.setRequestId("search-" + s);
      interactions.pipeInput(null, INTERACTIONS.encode(click), t.plusMillis(200));
    }
    driver.advanceWallClockTime(Duration.ofSeconds(10));
    assertTrue(deadLetters.isEmpty(), allDeadLetters().toString());
    assertEquals(150, pairs.readValuesToList().size());
    assertEquals(50, metrics.get("searches_closed"));
  }

  @Test
  void withoutPositionBiasCorrectionEveryPairWeighsOne() throws Exception {
    start(defaults().withPairs(false, Propensity.NONE, Duration.ofSeconds(30)));
    showFour("s1", "q1", 0);
    event("s1", "q1", "d3", InteractionType.CLICK, 3, 5, null);
    closeAll();
    for (FeedbackPair p : pairsByDoc().values()) {
      assertEquals(1f, p.getWeight(), p.toString());
    }
  }

  @Test
  void aShortDwellGradesTheClickDown() throws Exception {
    start();
    showFour("s1", "q1", 0);
    event("s1", "q1", "d0", InteractionType.CLICK, 0, 5, 6_000L); // 6 s of the 30 s
    event("s1", "q1", "d1", InteractionType.CLICK, 1, 9, 45_000L);
    closeAll();
    Map<String, FeedbackPair> out = pairsByDoc();
    assertEquals(0.2f, out.get("d0").getLabel(), 1e-6);
    assertEquals(1f, out.get("d1").getLabel());
  }

  @Test
  void searchesAreKeptApartByRequestIdWithinOneSession() throws Exception {
    start();
    Interaction first = interaction("s1", "q1", "d0", InteractionType.IMPRESSION, 0, 0, null);
    first.setRequestId("r1");
    Interaction second = interaction("s1", "q1", "d1", InteractionType.IMPRESSION, 0, 1, null);
    second.setRequestId("r2");
    Interaction click = interaction("s1", "q1", "d1", InteractionType.CLICK, 0, 2, null);
    click.setRequestId("r1"); // d1 was not in r1's list
    for (Interaction i : List.of(first, second, click)) {
      interactions.pipeInput(null, INTERACTIONS.encode(i), i.getTs());
    }
    closeAll();
    assertTrue(pairs.isEmpty());
    assertTrue(singleDeadLetter().getError().toString().startsWith("click on document d1"));
  }

  @Test
  void whenTheStreamGoesQuietTheLastSearchClosesAsTheWallClockPasses() throws Exception {
    start(defaults().withIdleAdvance(Duration.ofSeconds(30)));
    showFour("s1", "q1", 0);
    event("s1", "q1", "d1", InteractionType.CLICK, 1, 5, null);
    driver.advanceWallClockTime(Duration.ofSeconds(20));
    assertTrue(pairs.isEmpty(), "idle for less than --idle-advance: event time stands still");
    driver.advanceWallClockTime(Duration.ofSeconds(60)); // idle 80 s > 5 + 60 + 10 s after s1
    assertEquals(2, pairsByDoc().size());
  }

  @Test
  void withoutIdleAdvanceOnlyEventsMoveEventTime() throws Exception {
    start(defaults().withIdleAdvance(Duration.ZERO));
    showFour("s1", "q1", 0);
    event("s1", "q1", "d1", InteractionType.CLICK, 1, 5, null);
    driver.advanceWallClockTime(Duration.ofHours(2));
    assertTrue(pairs.isEmpty());
    closeAll();
    assertEquals(2, pairsByDoc().size());
  }

  // --- helpers

  private void showFour(String session, String query, int secondsAfterStart) {
    for (int rank = 0; rank < 4; rank++) {
      event(session, query, "d" + rank, InteractionType.IMPRESSION, rank, secondsAfterStart, null);
    }
  }

  private void event(
      String session,
      String query,
      String doc,
      InteractionType type,
      int rank,
      int seconds,
      Long dwell) {
    Interaction i = interaction(session, query, doc, type, rank, seconds, dwell);
    interactions.pipeInput(null, INTERACTIONS.encode(i), i.getTs());
  }

  private static Interaction interaction(
      String session,
      String query,
      String doc,
      InteractionType type,
      int rank,
      int seconds,
      Long dwell) {
    return Interaction.newBuilder()
        .setQueryId(query)
        .setQueryText("the query " + query)
        .setDocId(doc)
        .setType(type)
        .setPosition(rank)
        .setSessionId(session)
        .setTs(T0.plusSeconds(seconds))
        .setDwellMillis(dwell)
        .build();
  }

  private void document(String id, String text) {
    documents.pipeInput(
        id,
        SENTENCES.encode(Sentence.newBuilder().setId(id).setText(text).setEventTime(T0).build()),
        T0);
  }

  private int clock = 1000;

  /** An event of a new, unrelated search far ahead: stream time passes every open window. */
  private void closeAll() {
    clock += 1000;
    event("clock-" + clock, "clock", "d0", InteractionType.IMPRESSION, 0, clock, null);
  }

  private Map<String, FeedbackPair> pairsByDoc() throws Exception {
    Map<String, FeedbackPair> out = new TreeMap<>();
    for (byte[] value : pairs.readValuesToList()) {
      FeedbackPair p = PAIRS.decode(value);
      out.put(p.getCandidateId().toString(), p);
    }
    return out;
  }

  private List<DeadLetter> allDeadLetters() throws Exception {
    List<DeadLetter> out = new ArrayList<>();
    for (byte[] value : deadLetters.readValuesToList()) {
      out.add(DEAD.decode(value));
    }
    return out;
  }

  private DeadLetter singleDeadLetter() throws Exception {
    List<DeadLetter> all = allDeadLetters();
    assertEquals(1, all.size(), all.toString());
    return all.get(0);
  }

  private static void assertPair(
      FeedbackPair p, float label, float weight, String source, int position) {
    assertEquals(label, p.getLabel(), p.toString());
    assertEquals(weight, p.getWeight(), 1e-6, p.toString());
    assertEquals(source, p.getSource().toString());
    assertEquals(position, p.getPosition());
  }
}
