package io.twinstream.trainer.task;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A generated retrieval task of long documents, deterministic from a seed: incident reports of 200
 * to 300 tokens, thousands of them, in the made-up operations dialect of {@link DomainTask}. Each
 * report tells one incident of one service — summary, impact, timeline, root cause, resolution,
 * follow-up — so reports of the same service share most of their words and differ in a sentence or
 * two about the problem. Queries name the problem by a team code word that appears in no report
 * ("vostrel on checkout api"); every report of that service and problem is relevant. A
 * general-purpose encoder finds the service but not which of its dozens of reports a code word
 * means, so it ranks the answers poorly, and feedback on some services teaches the code words for
 * all.
 *
 * <p>The default, {@link #generate(long)}, has 60 services × 24 problems × 4 reports = 5,760
 * documents and 2 phrasings per service and problem (2,880 queries).
 */
public final class IncidentReportTask {

  /** Systems and the kinds of component each has: 20 × 3 services. */
  private static final String[] SYSTEMS = {
    "checkout", "search", "payments", "login", "thumbnail", "mail", "recommendations", "inventory",
    "billing", "mobile", "analytics", "notifications", "shipping", "catalog", "reviews", "pricing",
    "fraud", "ledger", "chat", "media"
  };

  private static final String[] KINDS = {"api", "worker", "database"};

  private static final String[] REGIONS = {
    "eu-west", "eu-central", "us-east", "us-west", "ap-south", "ap-northeast", "sa-east"
  };

  private static final String[] IMPACT = {
    "About %d percent of requests to the %s failed or timed out while it lasted.",
    "Customers of the %2$s saw errors on roughly %1$d percent of their requests.",
    "Latency of the %2$s rose far above its objective for %1$d minutes.",
    "The %2$s dropped about %1$d percent of its work, which was replayed later.",
    "Support received %d tickets from users of the %s before the fix."
  };

  private static final String[] TIMELINE = {
    "At %s the error rate alert of the %s fired and paged the on-call engineer.",
    "At %s the engineer acknowledged the page and opened the dashboards of the %s.",
    "At %s a second engineer joined and the %s was declared a major incident.",
    "At %s traffic to the %s was shifted to another region to reduce the impact.",
    "At %s the status page was updated to say that the %s was degraded.",
    "At %s the team confirmed the cause from the logs and metrics of the %s.",
    "At %s the fix was rolled out and the %s recovered within minutes."
  };

  private static final String[] CAUSE = {
    "The investigation found that %s.",
    "Logs and metrics showed that %s.",
    "After some digging the team learned that %s."
  };

  private static final String[] FOLLOW_UP = {
    "A regression test now covers this case and runs before every release.",
    "The alert threshold was lowered so that the next occurrence pages earlier.",
    "The runbook of the service was updated with the steps that worked.",
    "A dashboard panel was added to show the signal that revealed the cause.",
    "The owning team will review similar services for the same weakness.",
    "A game day is planned to rehearse this failure with the whole team.",
    "Capacity planning for the next quarter will include this scenario."
  };

  /** Largest number of services: every system with every kind of component. */
  public static final int MAX_SERVICES = SYSTEMS.length * KINDS.length;

  private IncidentReportTask() {}

  /**
   * Generates the task.
   *
   * @param services how many services, at most {@link #MAX_SERVICES}
   * @param problems how many problems (code words), 2 to 24
   * @param reports reports per service and problem, at least 1
   * @param queriesPerProblem phrasings per service and problem, 1 to 6
   * @param seed decides the code words, the services and problems used, the reports' details and
   *     the phrasings
   */
  public static RetrievalTask generate(
      int services, int problems, int reports, int queriesPerProblem, long seed) {
    if (services < 1
        || services > MAX_SERVICES
        || problems < 2
        || problems > DomainTask.PROBLEMS.length
        || reports < 1
        || queriesPerProblem < 1
        || queriesPerProblem > DomainTask.QUERY_TEMPLATES.length) {
      throw new IllegalArgumentException(
          "services in [1, "
              + MAX_SERVICES
              + "], problems in [2, "
              + DomainTask.PROBLEMS.length
              + "], reports >= 1, queriesPerProblem in [1, "
              + DomainTask.QUERY_TEMPLATES.length
              + "]; got "
              + services
              + ", "
              + problems
              + ", "
              + reports
              + ", "
              + queriesPerProblem);
    }
    Random random = new Random(seed);
    List<Integer> problemOrder = DomainTask.shuffled(DomainTask.PROBLEMS.length, random);
    List<Integer> serviceOrder = DomainTask.shuffled(MAX_SERVICES, random);
    Set<String> codes = new LinkedHashSet<>();
    while (codes.size() < problems) {
      codes.add(DomainTask.codeWord(random));
    }
    List<String> codeList = new ArrayList<>(codes);
    Map<String, String> corpus = new LinkedHashMap<>();
    Map<String, String> queries = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> relevance = new LinkedHashMap<>();
    for (int s = 0; s < services; s++) {
      int service = serviceOrder.get(s);
      String name = SYSTEMS[service % SYSTEMS.length] + " " + KINDS[service / SYSTEMS.length];
      for (int p = 0; p < problems; p++) {
        String[] problem = DomainTask.PROBLEMS[problemOrder.get(p)];
        Map<String, Integer> relevant = new LinkedHashMap<>();
        for (int r = 0; r < reports; r++) {
          String doc = String.format(Locale.ROOT, "r%02d-%02d-%d", s, p, r);
          corpus.put(doc, report(name, problem, random));
          relevant.put(doc, 1);
        }
        List<Integer> templates = DomainTask.shuffled(DomainTask.QUERY_TEMPLATES.length, random);
        for (int q = 0; q < queriesPerProblem; q++) {
          String id = String.format(Locale.ROOT, "q%02d-%02d-%d", s, p, q);
          queries.put(
              id,
              String.format(
                  Locale.ROOT,
                  DomainTask.QUERY_TEMPLATES[templates.get(q)],
                  codeList.get(p),
                  name));
          relevance.put(id, relevant);
        }
      }
    }
    return new RetrievalTask("incidents", corpus, queries, relevance, Map.of());
  }

  /** The default: 60 services × 24 problems × 4 reports (5,760 documents), 2 phrasings each. */
  public static RetrievalTask generate(long seed) {
    return generate(MAX_SERVICES, 24, 4, 2, seed);
  }

  /** One report: about 190–230 words, 200–300 tokens of the default model's vocabulary. */
  private static String report(String service, String[] problem, Random random) {
    String region = REGIONS[random.nextInt(REGIONS.length)];
    String title = Character.toUpperCase(service.charAt(0)) + service.substring(1);
    StringBuilder text =
        new StringBuilder()
            .append(title)
            .append(" incident report, ")
            .append(
                String.format(
                    Locale.ROOT, "2026-%02d-%02d", 1 + random.nextInt(12), 1 + random.nextInt(28)))
            .append(", region ")
            .append(region)
            .append(". Summary: ")
            .append(problem[0])
            .append(". Impact: ");
    List<Integer> impacts = DomainTask.shuffled(IMPACT.length, random);
    for (int i = 0; i < 2; i++) {
      text.append(
              String.format(
                  Locale.ROOT, IMPACT[impacts.get(i)], 5 + random.nextInt(60), "the " + service))
          .append(' ');
    }
    text.append("Timeline: ");
    int minutes = random.nextInt(24 * 60);
    List<Integer> steps = DomainTask.shuffled(TIMELINE.length, random).subList(0, 5);
    steps.sort(Integer::compare);
    for (int step : steps) {
      minutes = (minutes + 3 + random.nextInt(25)) % (24 * 60);
      String at = String.format(Locale.ROOT, "%02d:%02d UTC", minutes / 60, minutes % 60);
      text.append(String.format(Locale.ROOT, TIMELINE[step], at, service)).append(' ');
    }
    text.append("Root cause: ")
        .append(String.format(Locale.ROOT, CAUSE[random.nextInt(CAUSE.length)], problem[0]))
        .append(" Resolution: to resolve it we had to ")
        .append(problem[1])
        .append(". Follow-up: ");
    List<Integer> followUps = DomainTask.shuffled(FOLLOW_UP.length, random);
    for (int i = 0; i < 2; i++) {
      text.append(FOLLOW_UP[followUps.get(i)]).append(i == 0 ? " " : "");
    }
    return text.toString();
  }
}
