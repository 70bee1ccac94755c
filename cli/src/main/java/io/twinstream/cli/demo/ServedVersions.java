package io.twinstream.cli.demo;

import io.twinstream.lifecycle.LifecycleController;
import io.twinstream.lifecycle.Step;
import io.twinstream.lifecycle.VersionRecord;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the demo's version lifecycle did to each version, for its report (how a version was filled,
 * in how long, how long its cut-over took), and a wait for a version to be served.
 */
public final class ServedVersions implements LifecycleController.Listener {

  /** Checked while waiting: throws when the demo cannot go on (its job or joiner stopped). */
  @FunctionalInterface
  public interface Check {
    void check() throws Exception;
  }

  private final Map<String, StoredVersion> versions = new LinkedHashMap<>();
  private final Map<String, Long> announced = new LinkedHashMap<>();

  /** The report's entry of {@code version}, made if missing. */
  public synchronized StoredVersion of(String version) {
    return versions.computeIfAbsent(version, v -> new StoredVersion());
  }

  /** Every version's entry, in the order they were first seen. */
  public synchronized Map<String, StoredVersion> all() {
    return new LinkedHashMap<>(versions);
  }

  @Override
  public synchronized void stepped(Step step, VersionRecord record, Duration took) {
    if (step instanceof Step.Backfill && record.documents() > 0) {
      of(step.version()).backfilled(record.documents(), took.toNanos() / 1e9);
    }
    if (step instanceof Step.Announce) {
      announced.put(step.version(), System.nanoTime());
      notifyAll();
    }
  }

  @Override
  public synchronized void cutOver(String version, Duration took) {
    of(version).cutOver(took.toNanos() / 1e6);
  }

  /**
   * Waits until FULLY_SERVED {@code version} is announced (after its backfill and cut-over); notes
   * how long after {@code since} (a {@link System#nanoTime()}) that was.
   *
   * @throws IllegalStateException when it is not within {@code timeout}
   */
  public void await(String version, long since, Duration timeout, Check check) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      synchronized (this) {
        Long at = announced.get(version);
        if (at != null && at >= since) {
          of(version).served((at - since) / 1e9);
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              version + " was not served within " + timeout + ": " + of(version));
        }
        wait(500);
      }
      check.check();
    }
  }
}
