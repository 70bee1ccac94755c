package io.twinstream.trainer.task;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A generated retrieval task in a made-up operations dialect, deterministic from a seed. Documents
 * are runbook entries in plain English ("Checkout service: the database connection pool is
 * exhausted ..."); queries are what an on-call engineer types, naming the problem by a team code
 * word that appears in no document ("vostrel on checkout"). A general-purpose encoder finds the
 * right service but cannot tell which of its entries a code word means, so it leaves room to learn:
 * feedback teaches the code words, and held-out queries (other services, other phrasings) show
 * whether they were learnt.
 */
public final class DomainTask {

  /** Problems: plain description, and what the entry says to do. */
  static final String[][] PROBLEMS = {
    {
      "the database connection pool is exhausted and requests wait for a free connection",
      "raise the pool size or find the transaction that never returns its connection"
    },
    {
      "memory grows until the process is killed by the operating system",
      "take a heap dump before the restart and look for the cache that never evicts"
    },
    {
      "the TLS certificate expired and clients refuse to connect",
      "renew the certificate and reload the proxy that terminates TLS"
    },
    {
      "the disk is full because log files are never rotated",
      "enable log rotation and delete archives older than a week"
    },
    {
      "a deploy left two versions running with different database schemas",
      "finish the migration or roll every instance back to one version"
    },
    {
      "the message queue backlog keeps growing because consumers are too slow",
      "add consumers or batch the work so each message costs less"
    },
    {
      "DNS lookups time out intermittently inside the cluster",
      "check the resolver pods and lower the lookup timeout with a retry"
    },
    {
      "a cron job runs twice at the same time and corrupts its output",
      "add a lock so only one run proceeds and make the job idempotent"
    },
    {
      "the cache was flushed and every request now hits the database",
      "warm the cache from a snapshot and rate-limit cold reads"
    },
    {
      "clocks drifted apart and signed tokens are rejected as expired",
      "restart time synchronisation and allow a small clock skew"
    },
    {
      "a feature flag was turned on for everyone instead of one percent",
      "set the rollout back to one percent and audit who changed it"
    },
    {
      "retries from clients amplify a small outage into a storm of requests",
      "add exponential backoff with jitter and a circuit breaker"
    },
    {
      "the thread pool is saturated and new work is rejected",
      "find the blocking call that holds threads and move it off the pool"
    },
    {
      "an upstream partner API started returning errors after a contract change",
      "pin the old API version and ask the partner for the changelog"
    },
    {
      "garbage collection pauses stall every request for seconds",
      "lower the heap's live data or switch to a low-pause collector"
    },
    {
      "a hot partition receives almost all writes and its node is overloaded",
      "change the partition key so writes spread over all nodes"
    },
    {
      "the load balancer health check fails although the service is fine",
      "point the health check at a cheap endpoint and raise its timeout"
    },
    {
      "secrets were rotated but the service still uses the old password",
      "reload the secret at runtime instead of reading it once at start"
    },
    {
      "a slow query scans the whole table because an index is missing",
      "add the index concurrently and check the query plan again"
    },
    {
      "file descriptors run out because sockets are never closed",
      "close the sockets in a finally block and raise the descriptor limit"
    },
    {
      "the replica lags hours behind the primary database",
      "stop heavy reports on the replica and check its disk throughput"
    },
    {
      "rate limits from the cloud provider throttle every API call",
      "request a higher quota and cache responses that rarely change"
    },
    {
      "a schema change dropped a column that old clients still read",
      "restore the column and deprecate it over two releases"
    },
    {
      "time zones are mixed up and scheduled work runs an hour early",
      "store times in UTC and convert only when showing them"
    }
  };

  /** Services: name in documents, short name in queries. */
  private static final String[][] SERVICES = {
    {"Checkout service", "checkout"},
    {"Search index", "search"},
    {"Payment gateway", "payments"},
    {"User login", "login"},
    {"Image thumbnailer", "thumbnails"},
    {"Email sender", "mailer"},
    {"Recommendation engine", "recs"},
    {"Inventory sync", "inventory"},
    {"Billing batch job", "billing"},
    {"Mobile API", "mobile api"},
    {"Analytics pipeline", "analytics"},
    {"Notification service", "notifications"}
  };

  /** Phrasings of a query: code word, then service. */
  static final String[] QUERY_TEMPLATES = {
    "%s on %s",
    "%s again in %s",
    "how do I fix %s in %s",
    "%2$s has %1$s",
    "%s alert from %s",
    "%2$s is down with %1$s"
  };

  private static final String[] ONSETS = {
    "v", "k", "z", "dr", "gl", "qu", "th", "br", "sk", "m", "pl", "x"
  };
  private static final String[] VOWELS = {"a", "o", "e", "i", "u", "ae", "ou"};
  private static final String[] CODAS = {"rn", "x", "l", "st", "nd", "k", "m", "th", "r"};

  private DomainTask() {}

  /**
   * Generates the task.
   *
   * @param problems how many problems (code words), at most 24
   * @param services how many services, at most 12
   * @param queriesPerDocument phrasings per document, at most 6
   * @param seed decides the code words, the services and problems used, and the phrasings
   */
  public static RetrievalTask generate(
      int problems, int services, int queriesPerDocument, long seed) {
    if (problems < 2
        || problems > PROBLEMS.length
        || services < 1
        || services > SERVICES.length
        || queriesPerDocument < 1
        || queriesPerDocument > QUERY_TEMPLATES.length) {
      throw new IllegalArgumentException(
          "problems in [2, "
              + PROBLEMS.length
              + "], services in [1, "
              + SERVICES.length
              + "], queriesPerDocument in [1, "
              + QUERY_TEMPLATES.length
              + "]");
    }
    Random random = new Random(seed);
    List<Integer> problemOrder = shuffled(PROBLEMS.length, random);
    List<Integer> serviceOrder = shuffled(SERVICES.length, random);
    Set<String> codes = new LinkedHashSet<>();
    while (codes.size() < problems) {
      codes.add(codeWord(random));
    }
    List<String> codeList = new ArrayList<>(codes);
    Map<String, String> corpus = new LinkedHashMap<>();
    Map<String, String> queries = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> relevance = new LinkedHashMap<>();
    for (int s = 0; s < services; s++) {
      String[] service = SERVICES[serviceOrder.get(s)];
      for (int p = 0; p < problems; p++) {
        String[] problem = PROBLEMS[problemOrder.get(p)];
        String doc = String.format(Locale.ROOT, "d%02d-%02d", s, p);
        corpus.put(doc, service[0] + ": " + problem[0] + ". To resolve it, " + problem[1] + ".");
        List<Integer> templates = shuffled(QUERY_TEMPLATES.length, random);
        for (int q = 0; q < queriesPerDocument; q++) {
          String id = String.format(Locale.ROOT, "q%02d-%02d-%d", s, p, q);
          queries.put(
              id,
              String.format(
                  Locale.ROOT, QUERY_TEMPLATES[templates.get(q)], codeList.get(p), service[1]));
          relevance.put(id, Map.of(doc, 1));
        }
      }
    }
    return new RetrievalTask("domain", corpus, queries, relevance, Map.of());
  }

  /**
   * The default demo task: 24 problems × 10 services, 2 phrasings each (240 documents, 480
   * queries).
   */
  public static RetrievalTask generate(long seed) {
    return generate(24, 10, 2, seed);
  }

  static String codeWord(Random random) {
    StringBuilder word = new StringBuilder();
    int syllables = 2 + random.nextInt(2);
    for (int i = 0; i < syllables; i++) {
      word.append(ONSETS[random.nextInt(ONSETS.length)])
          .append(VOWELS[random.nextInt(VOWELS.length)]);
    }
    return word.append(CODAS[random.nextInt(CODAS.length)]).toString();
  }

  static List<Integer> shuffled(int n, Random random) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(i);
    }
    Collections.shuffle(out, random);
    return out;
  }
}
