package io.twinstream.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.trainer.task.IncidentReportTask;
import io.twinstream.trainer.task.RetrievalTask;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SampledCorpusTest {

  private static Map<String, String> queries(RetrievalTask task, int n) {
    Map<String, String> out = new LinkedHashMap<>();
    new ArrayList<>(task.queries().keySet())
        .subList(0, n)
        .forEach(id -> out.put(id, task.queries().get(id)));
    return out;
  }

  @Test
  void theSampleHoldsEveryRelevantDocumentTheLexicalNearMissesAndTheRandomDraw() {
    RetrievalTask task = IncidentReportTask.generate(20, 12, 2, 1, 3); // 480 documents
    Map<String, String> queries = queries(task, 10);
    Map<String, String> sample =
        SampledCorpus.of(
            task.corpus(), queries, task.relevance(), new SampledCorpus.Sampling(5, 50, 1));
    for (String q : queries.keySet()) {
      assertTrue(sample.keySet().containsAll(task.relevance().get(q).keySet()), q);
    }
    // A query names its service ("how do I fix drizel in billing worker"): BM25's best are
    // reports of that system ("Billing worker incident report ...", "Billing api ...").
    String query = queries.keySet().iterator().next();
    Map<String, String> lexicalOnly =
        SampledCorpus.of(
            task.corpus(),
            Map.of("q", queries.get(query)),
            Map.of(),
            new SampledCorpus.Sampling(5, 0, 1));
    String relevant = task.relevance().get(query).keySet().iterator().next();
    String system = task.corpus().get(relevant).split(" ")[0];
    assertEquals(5, lexicalOnly.size());
    lexicalOnly.values().forEach(doc -> assertTrue(doc.startsWith(system + " "), doc));
    int most = 10 * 2 + 10 * 5 + 50;
    assertTrue(sample.size() <= most && sample.size() >= 50, "size " + sample.size());
    assertEquals(
        sample,
        SampledCorpus.of(
            task.corpus(), queries, task.relevance(), new SampledCorpus.Sampling(5, 50, 1)));
  }

  @Test
  void theSamplesSizeFollowsTheQueriesNotTheCorpus() {
    RetrievalTask small = IncidentReportTask.generate(10, 24, 2, 1, 3); // 480 documents
    RetrievalTask large = IncidentReportTask.generate(60, 24, 4, 1, 3); // 5,760 documents
    SampledCorpus.Sampling sampling = new SampledCorpus.Sampling(10, 100, 1);
    int fromSmall =
        SampledCorpus.of(small.corpus(), queries(small, 20), small.relevance(), sampling).size();
    int fromLarge =
        SampledCorpus.of(large.corpus(), queries(large, 20), large.relevance(), sampling).size();
    assertTrue(fromLarge <= 20 * 4 + 20 * 10 + 100, "large " + fromLarge);
    assertTrue(fromSmall <= 20 * 2 + 20 * 10 + 100, "small " + fromSmall);
  }

  @Test
  void wordsAreLowerCaseRunsOfLettersAndDigits() {
    assertEquals(
        List.of("vostrel", "on", "checkout", "api", "503", "déjà"),
        SampledCorpus.words("Vostrel on checkout-API: 503, déjà!"));
  }
}
