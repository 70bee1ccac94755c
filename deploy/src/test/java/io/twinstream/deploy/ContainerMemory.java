package io.twinstream.deploy;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The memory of a compose project's containers while a test runs: {@code docker stats} sampled
 * every few seconds (the usage Docker reports, page cache it can reclaim left out), the highest
 * sample kept per service, and at the end each service's limit and whether the kernel killed it for
 * exceeding it. The figures the compose file's {@code mem_limit}s are sized from.
 */
final class ContainerMemory implements AutoCloseable {

  /** One service: its highest sampled usage, its limit (0 = none) and whether it was OOM-killed. */
  record Service(String name, long peakBytes, long limitBytes, boolean oomKilled) {

    String line() {
      return String.format(
          Locale.ROOT,
          "%-22s peak %6d MiB of %6s MiB%s",
          name,
          peakBytes >> 20,
          limitBytes == 0 ? "none" : String.valueOf(limitBytes >> 20),
          oomKilled ? "  OOM-KILLED" : "");
    }
  }

  private final String project;
  private final Map<String, Long> peaks = new TreeMap<>();
  private final ScheduledExecutorService sampler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "container-memory");
            t.setDaemon(true);
            return t;
          });

  ContainerMemory(String project, Duration every) {
    this.project = project;
    sampler.scheduleWithFixedDelay(this::sample, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The compose service a container of this project runs ({@code project_service_1} in 1.29). */
  private String service(String container) {
    String name = container.startsWith("/") ? container.substring(1) : container;
    if (name.startsWith(project + "_") || name.startsWith(project + "-")) {
      name = name.substring(project.length() + 1);
    }
    int last = Math.max(name.lastIndexOf('_'), name.lastIndexOf('-'));
    return last > 0 && name.substring(last + 1).chars().allMatch(Character::isDigit)
        ? name.substring(0, last)
        : name;
  }

  private void sample() {
    try {
      Compose.Result r =
          Compose.docker(
              Duration.ofSeconds(30),
              "stats",
              "--no-stream",
              "--format",
              "{{.Name}}\t{{.MemUsage}}");
      if (r.exit() != 0) {
        return;
      }
      for (String line : r.output().split("\n")) {
        String[] f = line.split("\t");
        if (f.length != 2 || !f[0].startsWith(project)) {
          continue;
        }
        long used = bytes(f[1].split("/")[0].trim());
        synchronized (peaks) {
          peaks.merge(service(f[0]), used, Math::max);
        }
      }
    } catch (Exception e) {
      // a sample missed (the engine busy): the next one counts
    }
  }

  /** {@code 12.5MiB}, {@code 1.2GiB}, {@code 512kB} ... in bytes. */
  static long bytes(String size) {
    String[][] units = {
      {"GiB", "1073741824"},
      {"MiB", "1048576"},
      {"KiB", "1024"},
      {"GB", "1000000000"},
      {"MB", "1000000"},
      {"kB", "1000"},
      {"B", "1"}
    };
    for (String[] u : units) {
      if (size.endsWith(u[0])) {
        double n = Double.parseDouble(size.substring(0, size.length() - u[0].length()));
        return (long) (n * Long.parseLong(u[1]));
      }
    }
    throw new IllegalArgumentException("not a size: " + size);
  }

  /** Every container of the project, with its peak so far, its limit and its OOM flag. */
  Map<String, Service> services() throws Exception {
    Compose.Result ids =
        Compose.docker(
            Duration.ofSeconds(30),
            "ps",
            "-aq",
            "--filter",
            "label=com.docker.compose.project=" + project);
    Map<String, Service> out = new TreeMap<>();
    for (String id : ids.output().trim().split("\\s+")) {
      if (id.isBlank()) {
        continue;
      }
      Compose.Result r =
          Compose.docker(
              Duration.ofSeconds(30),
              "inspect",
              "--format",
              "{{.Name}} {{.HostConfig.Memory}} {{.State.OOMKilled}}",
              id);
      String[] f = r.output().trim().split(" ");
      String name = service(f[0]);
      long peak;
      synchronized (peaks) {
        peak = peaks.getOrDefault(name, 0L);
      }
      out.put(name, new Service(name, peak, Long.parseLong(f[1]), Boolean.parseBoolean(f[2])));
    }
    return out;
  }

  @Override
  public void close() {
    sampler.shutdownNow();
  }
}
