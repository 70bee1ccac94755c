package io.twinstream.lifecycle.http;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.twinstream.lifecycle.LifecycleController;
import io.twinstream.lifecycle.Step;
import io.twinstream.lifecycle.VersionRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The lifecycle's metrics on Prometheus' Java client: what it did (steps, failures, the last
 * cut-over's time, the running backfill's progress), told as a {@link
 * LifecycleController.Listener}, and each version's state (phase, rows, grace deadline, what the
 * store and the registry serve), read from the controller's snapshot when scraped.
 *
 * <p>Names: {@code twinstream_lifecycle_steps_total{step}}, {@code
 * twinstream_lifecycle_failures_total}, {@code twinstream_lifecycle_cut_over_seconds}, {@code
 * twinstream_lifecycle_backfill_rows{version}}, {@code
 * twinstream_lifecycle_backfill_documents{version}}, {@code
 * twinstream_lifecycle_version_phase{version,phase}} (1), {@code
 * twinstream_lifecycle_version_rows{version}}, {@code
 * twinstream_lifecycle_drop_due_timestamp_seconds{version}}, {@code
 * twinstream_lifecycle_serving{version}} (1: the store searches it), {@code
 * twinstream_lifecycle_target{version}} (1: the registry serves it).
 */
public final class LifecycleMetrics implements LifecycleController.Listener {

  private final Counter steps;
  private final Counter failures;
  private final Gauge cutOverSeconds;
  private final Gauge backfillRows;
  private final Gauge backfillDocuments;

  /** Registers the metrics in {@code registry}; {@code snapshot} is read at each scrape. */
  public LifecycleMetrics(
      PrometheusRegistry registry, Supplier<LifecycleController.Snapshot> snapshot) {
    steps =
        Counter.builder()
            .name("twinstream_lifecycle_steps_total")
            .help("Lifecycle steps taken, by kind")
            .labelNames("step")
            .register(registry);
    failures =
        Counter.builder()
            .name("twinstream_lifecycle_failures_total")
            .help("Lifecycle steps that failed (tried again after the retry interval)")
            .register(registry);
    cutOverSeconds =
        Gauge.builder()
            .name("twinstream_lifecycle_cut_over_seconds")
            .help("How long the store's last cut-over took")
            .register(registry);
    backfillRows =
        Gauge.builder()
            .name("twinstream_lifecycle_backfill_rows")
            .help("Rows of the version being backfilled, in the store so far")
            .labelNames("version")
            .register(registry);
    backfillDocuments =
        Gauge.builder()
            .name("twinstream_lifecycle_backfill_documents")
            .help("Records of the documents topic the running backfill reads")
            .labelNames("version")
            .register(registry);
    GaugeWithCallback.builder()
        .name("twinstream_lifecycle_version_phase")
        .help("1 for each version's phase (BACKFILLING ... DROPPED, ABANDONED)")
        .labelNames("version", "phase")
        .callback(
            cb -> {
              for (VersionRecord r : snapshot.get().versions()) {
                cb.call(1, r.version(), r.phase().name());
              }
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("twinstream_lifecycle_version_rows")
        .help("Rows of each version in the store")
        .labelNames("version")
        .callback(cb -> snapshot.get().rows().forEach((v, n) -> cb.call(n, v)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("twinstream_lifecycle_drop_due_timestamp_seconds")
        .help("When a retired version's rows are dropped (its grace period's end)")
        .labelNames("version")
        .callback(
            cb -> {
              for (VersionRecord r : snapshot.get().versions()) {
                r.dropAt()
                    .filter(t -> r.phase() == io.twinstream.lifecycle.Phase.RETIRED)
                    .ifPresent(t -> cb.call(t.toEpochMilli() / 1e3, r.version()));
              }
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("twinstream_lifecycle_serving")
        .help("1 for the version the store searches")
        .labelNames("version")
        .callback(cb -> snapshot.get().serving().ifPresent(v -> cb.call(1, v)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("twinstream_lifecycle_target")
        .help("1 for the version the registry serves (or the first model)")
        .labelNames("version")
        .callback(cb -> snapshot.get().target().ifPresent(v -> cb.call(1, v)))
        .register(registry);
  }

  /** A snapshot source that reads the controller at most once a second. */
  public static Supplier<LifecycleController.Snapshot> cached(LifecycleController controller) {
    return new Supplier<>() {
      private LifecycleController.Snapshot last;
      private long at;

      @Override
      public synchronized LifecycleController.Snapshot get() {
        if (last == null || System.nanoTime() - at > 1_000_000_000L) {
          try {
            last = controller.snapshot();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          at = System.nanoTime();
        }
        return last;
      }
    };
  }

  @Override
  public void stepped(Step step, VersionRecord record, Duration took) {
    steps.labelValues(name(step)).inc();
    if (step instanceof Step.Backfill) {
      backfillRows.remove(step.version());
      backfillDocuments.remove(step.version());
    }
  }

  @Override
  public void progress(String version, long rows, long documents) {
    backfillRows.labelValues(version).set(rows);
    backfillDocuments.labelValues(version).set(documents);
  }

  @Override
  public void cutOver(String version, Duration took) {
    cutOverSeconds.set(took.toNanos() / 1e9);
  }

  @Override
  public void failed(Step step, Exception e, Duration retry) {
    failures.inc();
  }

  /** A step's name in metrics and logs: backfill, cut-over, announce, retire, drop, abandon. */
  public static String name(Step step) {
    return step.getClass().getSimpleName().toLowerCase(Locale.ROOT).replace("cutover", "cut-over");
  }
}
