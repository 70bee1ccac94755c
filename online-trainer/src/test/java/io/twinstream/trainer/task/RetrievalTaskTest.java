package io.twinstream.trainer.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.twinstream.trainer.data.BeirDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetrievalTaskTest {

  @TempDir Path dir;

  @Test
  void theDomainTaskIsDeterministicFromItsSeedAndDiffersAcrossSeeds() {
    RetrievalTask a = DomainTask.generate(7);
    assertEquals(a, DomainTask.generate(7));
    assertNotEquals(a.queries(), DomainTask.generate(8).queries());
    assertEquals(240, a.corpus().size());
    assertEquals(480, a.queries().size());
    a.relevance().values().forEach(r -> assertEquals(1, r.size()));
  }

  @Test
  void codeWordsOfQueriesNeverAppearInTheDocuments() {
    RetrievalTask task = DomainTask.generate(24, 12, 6, 3);
    String allDocs = String.join(" ", task.corpus().values()).toLowerCase();
    for (String query : task.queries().values()) {
      // Every query names its problem by a code word: a word found in no document.
      boolean hasUnknownWord = false;
      for (String word : query.split(" ")) {
        hasUnknownWord |= !allDocs.contains(word);
      }
      assertTrue(hasUnknownWord, query);
    }
  }

  @Test
  void theSplitIsDisjointCoversEveryJudgedQueryAndIsSeeded() {
    RetrievalTask task = DomainTask.generate(5);
    RetrievalTask.Split split = task.split(0.2, 11);
    Set<String> all = new HashSet<>(split.traffic());
    all.addAll(split.dev());
    all.addAll(split.test());
    assertEquals(task.relevance().keySet(), all);
    assertEquals(split.traffic().size() + split.dev().size() + split.test().size(), all.size());
    assertEquals(96, split.dev().size());
    assertEquals(split, task.split(0.2, 11));
    assertThrows(IllegalArgumentException.class, () -> task.split(0.5, 1));
  }

  @Test
  void aWrittenTaskReadsBackAsTheSameBeirDataset() throws IOException {
    RetrievalTask task = DomainTask.generate(4, 3, 2, 9);
    List<String> queries = task.split(0.2, 1).test();
    task.writeBeir(dir, queries);
    BeirDataset read =
        BeirDataset.read(
            dir.resolve("corpus.jsonl"), dir.resolve("queries.jsonl"), dir.resolve("qrels.tsv"));
    assertTrue(read.badLines().isEmpty(), read.badLines().toString());
    assertEquals(task.corpus(), read.corpus());
    assertEquals(Set.copyOf(queries), read.queries().keySet());
    RetrievalTask back = RetrievalTask.of("back", read);
    queries.forEach(q -> assertEquals(task.relevance().get(q), back.relevance().get(q)));
  }

  @Test
  void anStsFileBecomesATaskWithItsAttributionAndNamesABadLine() throws IOException {
    Path sts = dir.resolve("sts.tsv");
    Files.writeString(
        sts,
        String.join(
                "\n",
                "genre\tsource\tyear\tpair_id\tscore\tsentence1\tsentence2\tattribution1\tattribution2",
                "main-news\tnews\t2016\t0001\t4.6\tA man plays a guitar.\tA man is playing guitar.\t\tsome author, CC BY-SA",
                "main-news\tnews\t2016\t0002\t1.0\tA cat sleeps.\tThe stock market fell.\t\t",
                "main-news\tnews\t2016\t0003\t4.0\tA cat is sleeping.\tA man is playing guitar.\t\t")
            + "\n");
    RetrievalTask task = StsTask.read(sts, 4.0, 100);
    assertEquals(2, task.corpus().size());
    assertEquals(2, task.queries().size());
    String guitar = task.relevance().values().iterator().next().keySet().iterator().next();
    assertEquals("A man is playing guitar.", task.corpus().get(guitar));
    assertEquals("some author, CC BY-SA", task.attribution().get(guitar));
    assertFalse(task.queries().containsValue("A cat sleeps."));

    Files.writeString(
        sts,
        "genre\tsource\tyear\tpair_id\tscore\tsentence1\tsentence2\n"
            + "main-news\tnews\t2016\t0001\tfour\ta\tb\n");
    IOException e = assertThrows(IOException.class, () -> StsTask.read(sts, 4.0, 100));
    assertTrue(e.getMessage().contains("sts.tsv:2: score 'four'"), e.getMessage());
  }

  @Test
  void theShippedSquadTaskComesWithItsOwnSplit() throws IOException {
    List<String> bad = new java.util.ArrayList<>();
    RetrievalTask.WithSplit squad =
        RetrievalTask.readSplit(
            "squad", Path.of("../data/squad-retrieval-small"), b -> bad.add(b.toString()));
    assertEquals(List.of(), bad);
    assertEquals(5_026, squad.task().corpus().size());
    RetrievalTask.Split split = squad.split();
    assertEquals(8_551, split.traffic().size());
    assertEquals(1_000, split.dev().size());
    assertEquals(List.of("test-seen", "test-unseen"), List.copyOf(split.testSets().keySet()));
    assertEquals(328, split.testSets().get("test-seen").size());
    assertEquals(2_000, split.testSets().get("test-unseen").size());
    assertEquals(2_328, split.test().size());
    // Every query has its one paragraph, a title and a text joined as BEIR does.
    assertTrue(squad.task().corpus().get("tr-p1-0").startsWith("Beyoncé Beyoncé Giselle"));
    RetrievalTask.WithSplit shuffled = squad.withTrafficShuffled(42);
    assertEquals(Set.copyOf(split.traffic()), Set.copyOf(shuffled.split().traffic()));
    assertNotEquals(split.traffic(), shuffled.split().traffic());
    assertEquals(shuffled.split().traffic(), squad.withTrafficShuffled(42).split().traffic());
  }

  @Test
  void aTaskFolderWithoutItsPartsOrWithAQueryInTwoPartsIsRefusedNamingTheFile() throws IOException {
    Files.writeString(dir.resolve("corpus.jsonl"), "{\"_id\":\"d1\",\"text\":\"a paragraph\"}\n");
    Files.writeString(dir.resolve("queries.jsonl"), "{\"_id\":\"q1\",\"text\":\"a question\"}\n");
    Files.createDirectories(dir.resolve("qrels"));
    Files.writeString(dir.resolve("qrels/traffic.tsv"), "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
    IOException missing =
        assertThrows(IOException.class, () -> RetrievalTask.readSplit("t", dir, b -> {}));
    assertTrue(missing.getMessage().contains("dev.tsv"), missing.getMessage());
    Files.writeString(dir.resolve("qrels/dev.tsv"), "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
    Files.writeString(dir.resolve("qrels/test.tsv"), "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
    IllegalArgumentException twice =
        assertThrows(
            IllegalArgumentException.class, () -> RetrievalTask.readSplit("t", dir, b -> {}));
    assertTrue(twice.getMessage().contains("query q1 is in traffic too"), twice.getMessage());
  }
}
