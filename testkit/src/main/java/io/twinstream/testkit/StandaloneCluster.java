package io.twinstream.testkit;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

/**
 * A standalone Flink cluster as {@code bin/jobmanager.sh} and {@code bin/taskmanager.sh} start one:
 * a JobManager process ({@code StandaloneSessionClusterEntrypoint}) and TaskManager processes
 * ({@code TaskManagerRunner}) with a {@code config.yaml} of their own, the JVM memory options
 * Flink's {@code BashJavaUtils} would derive, and the class path of Flink's distribution only
 * ({@code deploy/flink-dist}: nothing of Twinstream, no Kafka — those come with the job jar), or
 * with jars added to it as a distribution's {@code lib/} adds them.
 *
 * <p>Needs Flink's runtime on the caller's class path (this module declares it {@code provided}),
 * and {@code deploy/flink-dist/target/flink-classpath.txt}: run from the checkout after the build.
 */
public final class StandaloneCluster implements AutoCloseable {

  /**
   * What Flink's default config.yaml passes to every JVM on Java 17 ({@code env.java.opts.all}).
   */
  private static final List<String> JAVA_OPTS =
      List.of(
          "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=java.base/java.text=ALL-UNNAMED",
          "--add-opens=java.base/java.time=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  private static final Pattern TASK_MANAGERS = Pattern.compile("\"taskmanagers\"\\s*:\\s*(\\d+)");

  private final Path dir;
  private final Configuration conf;
  private final String classpath;
  private final int restPort;
  private final Process jobManager;
  private final List<Process> taskManagers = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  private StandaloneCluster(Path dir, Configuration conf, String classpath, Process jobManager) {
    this.dir = dir;
    this.conf = conf;
    this.classpath = classpath;
    this.restPort = conf.get(org.apache.flink.configuration.RestOptions.PORT);
    this.jobManager = jobManager;
  }

  /**
   * Writes {@code dir/conf/config.yaml} from {@code settings} (plus the addresses and ports this
   * cluster needs) and starts the JobManager; returns once its REST endpoint answers.
   */
  public static StandaloneCluster start(Path dir, Map<String, String> settings) throws Exception {
    return start(dir, settings, List.of());
  }

  /**
   * As {@link #start(Path, Map)}, with {@code lib} on the class path of every process beside
   * Flink's own jars, as jars in a distribution's {@code lib/} are.
   */
  public static StandaloneCluster start(Path dir, Map<String, String> settings, List<Path> lib)
      throws Exception {
    Path confDir = Files.createDirectories(dir.resolve("conf"));
    Files.createDirectories(dir.resolve("log"));
    Map<String, String> all = new LinkedHashMap<>();
    all.put("jobmanager.rpc.address", "localhost");
    all.put("jobmanager.rpc.port", Integer.toString(freePort()));
    all.put("jobmanager.bind-host", "localhost");
    all.put("taskmanager.host", "localhost");
    all.put("taskmanager.bind-host", "localhost");
    all.put("rest.address", "localhost");
    all.put("rest.bind-address", "localhost");
    all.put("rest.port", Integer.toString(freePort()));
    all.put("io.tmp.dirs", Files.createDirectories(dir.resolve("tmp")).toString());
    all.putAll(settings);
    StringBuilder yaml = new StringBuilder();
    all.forEach((k, v) -> yaml.append(k).append(": ").append(v).append('\n'));
    Files.writeString(confDir.resolve("config.yaml"), yaml);
    Files.writeString(
        confDir.resolve("log4j.properties"),
        String.join(
            "\n",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.file.ref = file",
            "appender.file.type = File",
            "appender.file.name = file",
            "appender.file.fileName = ${sys:log.file}",
            "appender.file.layout.type = PatternLayout",
            "appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n",
            ""));
    Configuration conf = Configuration.fromMap(all);
    StringBuilder classpath = new StringBuilder(Files.readString(flinkClasspathFile()).trim());
    lib.forEach(jar -> classpath.append(java.io.File.pathSeparator).append(jar.toAbsolutePath()));
    JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(conf);
    List<String> command =
        java(classpath.toString(), JobManagerProcessUtils.generateJvmParametersStr(spec, conf));
    command.add("-Dlog.file=" + dir.resolve("log/jobmanager.log"));
    command.add("-Dlog4j.configurationFile=" + confDir.resolve("log4j.properties").toUri());
    command.add("org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint");
    command.add("--configDir");
    command.add(confDir.toString());
    command.addAll(dynamic(JobManagerProcessUtils.generateDynamicConfigsStr(spec)));
    Process jm = start(command, dir.resolve("log/jobmanager.out"));
    StandaloneCluster cluster = new StandaloneCluster(dir, conf, classpath.toString(), jm);
    cluster.awaitOverview(o -> true, Duration.ofMinutes(2));
    return cluster;
  }

  /** The REST port (as {@code flink run -m localhost:PORT} would use it). */
  public int restPort() {
    return restPort;
  }

  /** Starts one more TaskManager process and waits until the JobManager has it. */
  public Process startTaskManager() throws Exception {
    int before = taskManagersRegistered();
    TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(conf);
    List<String> command = java(classpath, ProcessMemoryUtils.generateJvmParametersStr(spec));
    int n = taskManagers.size();
    command.add("-Dlog.file=" + dir.resolve("log/taskmanager-" + n + ".log"));
    command.add("-Dlog4j.configurationFile=" + dir.resolve("conf/log4j.properties").toUri());
    command.add("org.apache.flink.runtime.taskexecutor.TaskManagerRunner");
    command.add("--configDir");
    command.add(dir.resolve("conf").toString());
    command.addAll(dynamic(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)));
    Process tm = start(command, dir.resolve("log/taskmanager-" + n + ".out"));
    taskManagers.add(tm);
    awaitOverview(count -> count > before, Duration.ofMinutes(2));
    return tm;
  }

  /**
   * Kills a TaskManager as a lost machine would (SIGKILL, no shutdown hook runs) and waits until
   * the JobManager has noticed: its count of TaskManagers dropped (within {@code
   * heartbeat.timeout}).
   */
  public void kill(Process taskManager) throws Exception {
    int before = taskManagersRegistered();
    taskManager.destroyForcibly();
    taskManager.waitFor();
    awaitOverview(count -> count < before, Duration.ofMinutes(2));
  }

  /** The peak resident memory (VmHWM) of a process, in MiB; -1 where /proc cannot tell. */
  public static long peakRssMiB(Process p) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /** The last lines of the cluster's logs, for a failure message. */
  public String logTail() {
    StringBuilder out = new StringBuilder();
    try (var files = Files.list(dir.resolve("log"))) {
      for (Path f : files.sorted().toList()) {
        List<String> lines = Files.readAllLines(f);
        out.append("== ").append(f.getFileName()).append('\n');
        // Why anything failed, however long ago: every distinct cause, then the last lines.
        lines.stream()
            .filter(l -> l.startsWith("Caused by:"))
            .distinct()
            .forEach(l -> out.append(l).append('\n'));
        lines
            .subList(Math.max(0, lines.size() - 30), lines.size())
            .forEach(l -> out.append(l).append('\n'));
      }
    } catch (IOException e) {
      out.append(e);
    }
    return out.toString();
  }

  private int taskManagersRegistered() throws Exception {
    Matcher m = TASK_MANAGERS.matcher(overview());
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  private String overview() throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + restPort + "/overview"))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Polls {@code /overview} until the count of TaskManagers satisfies {@code done}. */
  private void awaitOverview(Predicate<Integer> done, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        if (done.test(taskManagersRegistered())) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the cluster did not get there in " + timeout + ":\n" + logTail());
      }
      // Between polls, wait on the JobManager process itself: its exit ends the wait at once.
      try {
        jobManager.onExit().get(200, TimeUnit.MILLISECONDS);
        throw new IllegalStateException("the JobManager exited:\n" + logTail());
      } catch (TimeoutException stillRunning) {
        // poll again
      }
    }
  }

  private static List<String> java(String classpath, String jvmParameters) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(jvmParameters.trim().split("\\s+")));
    command.addAll(JAVA_OPTS);
    command.add("-cp");
    command.add(classpath);
    return command;
  }

  /** {@code -D key=value -D key=value} as separate arguments. */
  private static List<String> dynamic(String configs) {
    List<String> out = new ArrayList<>();
    for (String part : configs.trim().split("\\s+")) {
      if (!part.isEmpty()) {
        out.add(part);
      }
    }
    return out;
  }

  private static Process start(List<String> command, Path output) throws IOException {
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(output.toFile())
        .start();
  }

  private static Path flinkClasspathFile() {
    Path file = null;
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("deploy/flink-dist"))) {
        file = dir.resolve("deploy/flink-dist/target/flink-classpath.txt");
        break;
      }
    }
    if (file == null) {
      throw new IllegalStateException(
          "no deploy/flink-dist above " + Path.of("").toAbsolutePath() + ": run from the checkout");
    }
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(file + " is missing: build deploy/flink-dist first");
    }
    return file;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (Process tm : taskManagers) {
      tm.destroyForcibly();
      tm.waitFor();
    }
    jobManager.destroy();
    if (!jobManager.waitFor(30, TimeUnit.SECONDS)) {
      jobManager.destroyForcibly();
      jobManager.waitFor();
    }
  }
}
