package io.twinstream.lifecycle;

import io.twinstream.store.VectorStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the {@link Lifecycle} against a store: reads the facts, takes the next step, records it in
 * the journal, until there is nothing to do; then waits for a serving decision, a grace period's
 * end or the next poll. {@code twinstream run} and the demo run one in their process, {@code
 * twinstream controller} runs one next to a cluster: one implementation of a version's life.
 *
 * <p>A backfill is skipped when every live document has a row of the version already (the stream
 * wrote them: the first version of a new store), and a cut-over waits for another backfill when
 * documents arrived after the backfill read the topic but before the job embedded with the version
 * ({@link Backfiller#complete}): every live document has a vector of a version before it serves.
 *
 * <p>Every step is recorded before or after its effect so that a restart at any point decides again
 * from true facts: the previous version is recorded RETIRED before a cut-over (a restart right
 * after the cut-over finds it retired, its grace already counting), a backfill is recorded
 * BACKFILLED only once it completed (a restart runs it again, idempotently), FULLY_SERVED only once
 * announced (a restart announces again: the announcement is keyed, so compaction keeps one).
 */
public final class LifecycleController implements AutoCloseable {

  /**
   * How a controller runs.
   *
   * @param first the version to serve when the registry decided nothing and the store serves
   *     nothing (the job's first model); empty = wait for a decision
   * @param grace how long a replaced version's rows are kept (a rollback within it finds them);
   *     empty = kept until dropped by hand
   * @param poll how often the facts are read again when nothing is announced
   * @param retry how long to wait after a step failed
   */
  public record Settings(
      Optional<String> first, Optional<Duration> grace, Duration poll, Duration retry) {

    /**
     * Defaults: no first version, replaced versions kept (no grace drop), facts read again every 30
     * s when nothing is announced (a decision wakes it at once, a grace end on time; the poll only
     * catches changes made by hand, and reading the rows per version costs a scan of the store),
     * retry after 30 s.
     */
    public static Settings defaults() {
      return new Settings(
          Optional.empty(), Optional.empty(), Duration.ofSeconds(30), Duration.ofSeconds(30));
    }

    public Settings withFirst(String version) {
      return new Settings(Optional.ofNullable(version), grace, poll, retry);
    }

    /** {@code grace}; empty = keep replaced versions. */
    public Settings withGrace(Optional<Duration> grace) {
      return new Settings(first, grace, poll, retry);
    }

    public Settings withPoll(Duration poll, Duration retry) {
      return new Settings(first, grace, poll, retry);
    }
  }

  /** Told what the controller does (a log, metrics). */
  public interface Listener {
    /** A step was taken; {@code record} is its version's record after it. */
    default void stepped(Step step, VersionRecord record, Duration took) {}

    /** A backfill's progress, about once a second. */
    default void progress(String version, long rows, long documents) {}

    /** The store switched its searches to {@code version}, which took {@code took}. */
    default void cutOver(String version, Duration took) {}

    /** A backfill stopped before its end: {@code why}. */
    default void stopped(String version, String why) {}

    /** A step failed; the controller tries again after {@code retry}. */
    default void failed(Step step, Exception e, Duration retry) {}

    /**
     * Another controller took the journal over: this one has stopped for good (its thread ended).
     */
    default void takenOver(String why) {}

    /** This listener, then {@code next}, told of everything. */
    default Listener andThen(Listener next) {
      Listener first = this;
      return new Listener() {
        @Override
        public void stepped(Step step, VersionRecord record, Duration took) {
          first.stepped(step, record, took);
          next.stepped(step, record, took);
        }

        @Override
        public void progress(String version, long rows, long documents) {
          first.progress(version, rows, documents);
          next.progress(version, rows, documents);
        }

        @Override
        public void cutOver(String version, Duration took) {
          first.cutOver(version, took);
          next.cutOver(version, took);
        }

        @Override
        public void stopped(String version, String why) {
          first.stopped(version, why);
          next.stopped(version, why);
        }

        @Override
        public void failed(Step step, Exception e, Duration retry) {
          first.failed(step, e, retry);
          next.failed(step, e, retry);
        }

        @Override
        public void takenOver(String why) {
          first.takenOver(why);
          next.takenOver(why);
        }
      };
    }
  }

  /**
   * The state for {@code /v1/models} and metrics.
   *
   * @param target the version the registry serves (or the first one)
   * @param serving the version the store searches
   * @param versions every version's last record
   * @param rows rows per version in the store
   * @param backfill the running backfill's progress, if one runs
   */
  public record Snapshot(
      Optional<String> target,
      Optional<String> serving,
      List<VersionRecord> versions,
      Map<String, Long> rows,
      Optional<BackfillProgress> backfill) {}

  /** A running backfill: {@code rows} of {@code documents} so far, since {@code started}. */
  public record BackfillProgress(String version, long rows, long documents, Instant started) {}

  /** Thrown into a backfill whose version the registry no longer serves: it stops. */
  static final class Superseded extends RuntimeException {
    Superseded(String message) {
      super(message, null, false, false);
    }
  }

  private static final int MAX_STEPS_PER_SETTLE = 64;

  private final Settings settings;
  private final VectorStore store;
  private final LifecycleJournal journal;
  private final ServingDecisions decisions;
  private final Backfiller backfiller;
  private final Announcer announcer;
  private final Clock clock;
  private final Listener listener;
  private volatile BackfillProgress running;
  private volatile boolean closed;
  private volatile String takenOver;
  private Thread thread;

  public LifecycleController(
      Settings settings,
      VectorStore store,
      LifecycleJournal journal,
      ServingDecisions decisions,
      Backfiller backfiller,
      Announcer announcer,
      Clock clock,
      Listener listener) {
    this.settings = settings;
    this.store = store;
    this.journal = journal;
    this.decisions = decisions;
    this.backfiller = backfiller;
    this.announcer = announcer;
    this.clock = clock;
    this.listener = listener;
  }

  /** The facts now. */
  public Facts facts() throws IOException {
    Optional<String> serving = store.servingVersion();
    Optional<String> target =
        decisions.serving().or(() -> serving.isPresent() ? Optional.empty() : settings.first());
    return new Facts(target, serving, store.versions(), journal.read(), clock.instant());
  }

  /**
   * Takes the next step, if there is one.
   *
   * @return the step taken; empty when there was nothing to do. A backfill that stops because the
   *     registry decided otherwise meanwhile is not a step: the step that follows it is (abandoning
   *     it)
   * @throws Exception when the step failed; its effect is partial at most, and the next step
   *     decides again from the facts
   */
  public Optional<Step> step() throws Exception {
    Facts f = facts();
    Optional<Step> next = Lifecycle.next(f);
    if (next.isEmpty()) {
      return next;
    }
    long started = System.nanoTime();
    VersionRecord after;
    try {
      after = take(next.get(), f);
    } catch (Superseded e) {
      listener.stopped(next.get().version(), e.getMessage());
      return closed ? Optional.empty() : step(); // abandon it
    }
    listener.stepped(next.get(), after, Duration.ofNanos(System.nanoTime() - started));
    return next;
  }

  /**
   * Takes steps until there is nothing to do (or a step would repeat: its effect did not show, as
   * when a writer adds rows of a version being dropped; the next settle tries again).
   *
   * @return the steps taken
   */
  public List<Step> settle() throws Exception {
    List<Step> taken = new ArrayList<>();
    while (!closed && taken.size() < MAX_STEPS_PER_SETTLE) {
      Optional<Step> s = step();
      if (s.isEmpty()) {
        break;
      }
      boolean repeated = !taken.isEmpty() && taken.get(taken.size() - 1).equals(s.get());
      taken.add(s.get());
      if (repeated) {
        break;
      }
    }
    return taken;
  }

  private VersionRecord take(Step step, Facts f) throws Exception {
    journal.claim(); // no effect from a controller another one has replaced
    Instant now = f.now();
    String v = step.version();
    Optional<VersionRecord> r = f.record(v);
    if (step instanceof Step.Backfill) {
      return backfill(v, r, now);
    }
    if (step instanceof Step.CutOver c) {
      if (!backfiller.complete(v)) {
        // documents written after the backfill read the topic, before the job embedded with v
        return write(
            r.orElseThrow()
                .resumed(now)
                .noted(
                    "documents were written after its backfill read the topic: backfilling"
                        + " again before the cut-over"));
      }
      if (c.previous().isPresent()) {
        String p = c.previous().get();
        Optional<VersionRecord> pr = f.record(p);
        if (pr.isEmpty() || pr.get().phase() != Phase.RETIRED) {
          journal.write(
              pr.orElseGet(() -> VersionRecord.found(p, Phase.FULLY_SERVED, now, 0))
                  .retired(now, store.count(p), settings.grace(), "replaced by " + v));
        }
      }
      long switching = System.nanoTime();
      store.cutOver(v);
      listener.cutOver(v, Duration.ofNanos(System.nanoTime() - switching));
      return write(
          r.orElseThrow().servingSince(clock.instant(), store.count(v), c.previous().orElse(null)));
    }
    if (step instanceof Step.Announce) {
      VersionRecord before =
          r.filter(x -> x.phase().serving())
              .orElseGet(
                  () ->
                      r.map(x -> x.servingSince(now, store.count(v), null))
                          .orElseGet(
                              () -> VersionRecord.found(v, Phase.SERVING, now, store.count(v))));
      announcer.fullyServed(before);
      return write(before.fullyServed(clock.instant()));
    }
    if (step instanceof Step.Retire) {
      return write(
          r.orElseGet(() -> VersionRecord.found(v, Phase.FULLY_SERVED, now, 0))
              .retired(
                  now,
                  store.count(v),
                  settings.grace(),
                  f.serving().map(s -> "replaced by " + s).orElse("not served")));
    }
    if (step instanceof Step.Drop) {
      long dropped = store.dropVersion(v);
      return write(r.orElseThrow().dropped(clock.instant(), dropped));
    }
    if (step instanceof Step.Abandon) {
      long dropped = store.dropVersion(v);
      return write(
          r.orElseThrow()
              .abandoned(
                  clock.instant(),
                  dropped,
                  f.target().map(t -> "the registry serves " + t).orElse("no longer served")));
    }
    throw new IllegalArgumentException("unknown step " + step);
  }

  private VersionRecord write(VersionRecord record) throws IOException {
    journal.write(record);
    return record;
  }

  private VersionRecord backfill(String v, Optional<VersionRecord> r, Instant now)
      throws Exception {
    VersionRecord started =
        r.filter(x -> x.phase() == Phase.BACKFILLING)
            .map(x -> x.resumed(now))
            .orElseGet(() -> VersionRecord.backfilling(v, now));
    journal.write(started);
    if (backfiller.complete(v)) {
      return write(
          started
              .backfilled(clock.instant(), store.count(v), 0)
              .noted("every document had a vector of it already (written by the stream)"));
    }
    running = new BackfillProgress(v, 0, 0, started.backfillStarted());
    try {
      Backfiller.Result result =
          backfiller.backfill(
              v,
              (rows, documents) -> {
                running = new BackfillProgress(v, rows, documents, started.backfillStarted());
                listener.progress(v, rows, documents);
                if (closed) {
                  throw new Superseded("the controller is closing");
                }
                Optional<String> target = decisions.serving();
                if (target.isPresent() && !target.get().equals(v)) {
                  throw new Superseded("the registry serves " + target.get() + " now");
                }
              });
      VersionRecord after = started.backfilled(clock.instant(), store.count(v), result.documents());
      journal.write(after);
      return after;
    } finally {
      running = null;
    }
  }

  /** The state now, for status pages and metrics. */
  public Snapshot snapshot() throws IOException {
    Facts f = facts();
    return new Snapshot(
        f.target(),
        f.serving(),
        List.copyOf(f.journal().values()),
        f.rows(),
        Optional.ofNullable(running));
  }

  /**
   * Runs on a thread of its own until closed: settles, then waits for a decision, the next grace
   * end or the poll interval; a failed step is tried again after the retry interval.
   */
  public synchronized LifecycleController start() {
    if (thread != null) {
      throw new IllegalStateException("already started");
    }
    thread = new Thread(this::loop, "twinstream-lifecycle");
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  private void loop() {
    while (!closed) {
      try {
        journal.claim(); // a controller replaced by a newer one stops within a poll, idle or not
        settle();
        Duration wait = settings.poll();
        Optional<Instant> wake = Lifecycle.wakeAt(facts());
        if (wake.isPresent()) {
          Duration untilWake = Duration.between(clock.instant(), wake.get());
          wait = untilWake.compareTo(wait) < 0 ? untilWake : wait;
        }
        if (!wait.isNegative() && !wait.isZero()) {
          decisions.await(wait);
        }
      } catch (InterruptedException e) {
        return;
      } catch (JournalTakenOver e) {
        takenOver = e.getMessage();
        listener.takenOver(e.getMessage());
        return;
      } catch (Exception e) {
        if (closed) {
          return;
        }
        Step failed = lastAttempted();
        listener.failed(failed, e, settings.retry());
        try {
          sleep(settings.retry());
        } catch (InterruptedException stop) {
          return;
        }
      }
    }
  }

  private Step lastAttempted() {
    try {
      return Lifecycle.next(facts()).orElse(null);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private void sleep(Duration d) throws InterruptedException {
    long until = System.nanoTime() + d.toNanos();
    while (!closed && System.nanoTime() < until) {
      Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
    }
  }

  /** Why this controller stopped for good (another one took the journal over), if it did. */
  public Optional<String> takenOver() {
    return Optional.ofNullable(takenOver);
  }

  /** Stops the thread; a backfill under way stops at its next progress report. */
  @Override
  public void close() {
    closed = true;
    Thread t;
    synchronized (this) {
      t = thread;
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(Duration.ofSeconds(60).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
