package io.twinstream.cli.demo;

import io.twinstream.trainer.data.BeirDataset;
import io.twinstream.trainer.task.DomainTask;
import io.twinstream.trainer.task.IncidentReportTask;
import io.twinstream.trainer.task.RetrievalTask;
import io.twinstream.trainer.task.StsTask;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * The demo's task: a built-in one ({@code domain}, {@code incidents}, {@code sts}, {@code squad}),
 * a task folder with its own split, or BEIR files.
 *
 * @param task the built-in task's name
 * @param taskDir a task folder (corpus.jsonl, queries.jsonl, qrels/*.tsv); null = none
 * @param corpus BEIR corpus (with queries and qrels); null = none
 * @param queries BEIR queries
 * @param qrels BEIR relevance judgements
 * @param stsFile the STS TSV of the sts task; null = the installation's
 * @param problems the generated tasks' problems
 * @param services the generated tasks' services; null = the task's default
 * @param reports the incidents task's reports per service and problem
 * @param seed the generated tasks' and the split's seed
 */
public record DemoTasks(
    String task,
    Path taskDir,
    Path corpus,
    Path queries,
    Path qrels,
    Path stsFile,
    int problems,
    Integer services,
    int reports,
    long seed,
    PrintWriter err) {

  /**
   * The task and its query split: a task folder's own (its traffic shuffled by the seed), or a
   * seeded random 60/20/20 one.
   */
  public RetrievalTask.WithSplit load() throws Exception {
    Path dir =
        taskDir != null
            ? taskDir
            : task.equals("squad")
                ? Path.of(System.getProperty("twinstream.home", "."))
                    .resolve("data/squad-retrieval-small")
                : null;
    if (dir != null) {
      RetrievalTask.WithSplit own =
          RetrievalTask.readSplit(
              taskDir != null ? dir.getFileName().toString() : "squad",
              dir,
              b -> err.println("twinstream demo: " + b + " (skipped)"));
      return own.withTrafficShuffled(seed);
    }
    RetrievalTask retrieval = builtInOrFiles();
    return new RetrievalTask.WithSplit(retrieval, retrieval.split(0.2, seed));
  }

  private RetrievalTask builtInOrFiles() throws Exception {
    if (corpus != null || queries != null || qrels != null) {
      if (corpus == null || queries == null || qrels == null) {
        throw new IllegalArgumentException("--corpus, --queries and --qrels go together");
      }
      BeirDataset data = BeirDataset.read(corpus, queries, qrels);
      data.badLines().forEach(b -> err.println("twinstream demo: " + b + " (skipped)"));
      return RetrievalTask.of("files", data);
    }
    return switch (task) {
      case "domain" -> DomainTask.generate(problems, services != null ? services : 10, 2, seed);
      case "incidents" ->
          IncidentReportTask.generate(
              services != null ? services : IncidentReportTask.MAX_SERVICES,
              problems,
              reports,
              2,
              seed);
      case "sts" ->
          StsTask.read(
              stsFile != null
                  ? stsFile
                  : Path.of(System.getProperty("twinstream.home", "."))
                      .resolve("data/stsb-ccbysa/train.tsv"),
              4.0,
              1_000);
      default ->
          throw new IllegalArgumentException(
              "--task must be domain, incidents, sts or squad, got '" + task + "'");
    };
  }
}
