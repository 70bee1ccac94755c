package io.twinstream.trainer.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.TextTokenizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IncidentReportTaskTest {

  @Test
  void theDefaultHasThousandsOfDocumentsOfTwoToThreeHundredTokens() throws Exception {
    RetrievalTask task = IncidentReportTask.generate(5);
    assertEquals(5_760, task.corpus().size());
    assertEquals(2_880, task.queries().size());
    IntSummaryStatistics tokens = new IntSummaryStatistics();
    try (TextTokenizer tokenizer = TextTokenizer.of(ModelBundle.builtin(ModelBundle.DEFAULT))) {
      List<String> docs = new ArrayList<>(task.corpus().values());
      for (int from = 0; from < docs.size(); from += 256) {
        for (TextTokenizer.Tokenized t :
            tokenizer.tokenize(docs.subList(from, Math.min(docs.size(), from + 256)))) {
          tokens.accept(t.tokens());
        }
      }
    }
    assertTrue(tokens.getMin() >= 200, "shortest document: " + tokens.getMin() + " tokens");
    assertTrue(tokens.getMax() <= 300, "longest document: " + tokens.getMax() + " tokens");
    assertTrue(tokens.getAverage() >= 230, "mean " + tokens.getAverage());
  }

  @Test
  void everyReportOfTheServiceAndProblemIsRelevantAndNoOtherIs() {
    RetrievalTask task = IncidentReportTask.generate(6, 5, 3, 2, 1);
    assertEquals(90, task.corpus().size());
    assertEquals(60, task.queries().size());
    Set<String> judged = new HashSet<>();
    task.relevance()
        .forEach(
            (query, relevant) -> {
              assertEquals(3, relevant.size(), query);
              String serviceAndProblem = query.substring(1, 6); // q03-04-1 -> 03-04
              relevant
                  .keySet()
                  .forEach(doc -> assertEquals(serviceAndProblem, doc.substring(1, 6)));
              judged.addAll(relevant.keySet());
            });
    assertEquals(task.corpus().keySet(), judged);
  }

  @Test
  void codeWordsOfQueriesNeverAppearInTheReports() {
    RetrievalTask task = IncidentReportTask.generate(60, 24, 1, 6, 3);
    Set<String> words = new HashSet<>();
    for (String doc : task.corpus().values()) {
      for (String w : doc.toLowerCase().split("[^a-z0-9-]+")) {
        words.add(w);
      }
    }
    for (String query : task.queries().values()) {
      boolean unknownWord = false;
      for (String w : query.split(" ")) {
        unknownWord |= !words.contains(w);
      }
      assertTrue(unknownWord, query);
    }
  }

  @Test
  void isDeterministicFromItsSeedAndDiffersAcrossSeeds() {
    RetrievalTask a = IncidentReportTask.generate(4, 3, 2, 1, 7);
    assertEquals(a, IncidentReportTask.generate(4, 3, 2, 1, 7));
    assertNotEquals(a.corpus(), IncidentReportTask.generate(4, 3, 2, 1, 8).corpus());
  }

  @Test
  void sizesOutOfRangeAreRefusedNamingTheRanges() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> IncidentReportTask.generate(61, 24, 4, 2, 1));
    assertTrue(e.getMessage().contains("services in [1, 60]"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> IncidentReportTask.generate(5, 1, 4, 2, 1));
    assertThrows(IllegalArgumentException.class, () -> IncidentReportTask.generate(5, 5, 0, 2, 1));
    assertThrows(IllegalArgumentException.class, () -> IncidentReportTask.generate(5, 5, 1, 7, 1));
  }
}
