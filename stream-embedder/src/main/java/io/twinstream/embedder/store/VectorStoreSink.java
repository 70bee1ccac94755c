package io.twinstream.embedder.store;

import io.twinstream.store.Deletion;
import io.twinstream.store.StoreSpec;
import io.twinstream.store.VectorRow;
import io.twinstream.store.VectorStore;
import io.twinstream.store.VectorStoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes rows into a {@link VectorStore}, and applies deletions (tombstones, {@link
 * VectorStore#delete(List)}), in batches: a batch goes when it is full and at every checkpoint
 * (Flink calls {@link SinkWriter#flush} before the checkpoint completes), so every row before a
 * checkpoint is in the store when it completes. After a failure the job replays from the
 * checkpoint; the store's upserts are idempotent and ordered by sequence, so at-least-once delivery
 * leaves exactly one row per (id, version), the newest, and a deletion keeps every older row out
 * whichever comes first, so the rows and the deletions of a batch are applied in two calls. A store
 * that is unreachable is retried with exponential back-off (doubling from {@code firstBackoff} to
 * {@code maxBackoff}) for as long as it takes: the job slows down (back pressure) and nothing is
 * lost. A failure that retrying cannot mend ({@link VectorStoreException#retriable()} false, e.g.
 * refused credentials) fails the job with its reason.
 */
public final class VectorStoreSink implements Sink<StoreChange> {

  private static final long serialVersionUID = 1L;

  private final StoreSpec spec;
  private final int batchSize;
  private final Duration firstBackoff;
  private final Duration maxBackoff;

  /**
   * @param batchSize rows per store write, at most
   */
  public VectorStoreSink(
      StoreSpec spec, int batchSize, Duration firstBackoff, Duration maxBackoff) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("store.batch-size must be at least 1, got " + batchSize);
    }
    this.spec = spec;
    this.batchSize = batchSize;
    this.firstBackoff = firstBackoff;
    this.maxBackoff = maxBackoff;
  }

  @Override
  public SinkWriter<StoreChange> createWriter(WriterInitContext context) {
    return new Writer(
        spec,
        batchSize,
        firstBackoff,
        maxBackoff,
        context.metricGroup().counter("storeRowsWritten"),
        context.metricGroup().counter("storeRowsStale"),
        context.metricGroup().counter("storeRowsDeleted"),
        context.metricGroup().counter("storeRetries"));
  }

  /** The writer of one subtask. */
  static final class Writer implements SinkWriter<StoreChange> {

    private static final Logger LOG = LoggerFactory.getLogger(VectorStoreSink.class);

    private final StoreSpec spec;
    private final int batchSize;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final Counter written;
    private final Counter stale;
    private final Counter deleted;
    private final Counter retries;
    private final List<VectorRow> buffer = new ArrayList<>();
    private final List<Deletion> deletions = new ArrayList<>();
    private VectorStore store;

    Writer(
        StoreSpec spec,
        int batchSize,
        Duration firstBackoff,
        Duration maxBackoff,
        Counter written,
        Counter stale,
        Counter deleted,
        Counter retries) {
      this.spec = spec;
      this.batchSize = batchSize;
      this.firstBackoff = firstBackoff;
      this.maxBackoff = maxBackoff;
      this.written = written;
      this.stale = stale;
      this.deleted = deleted;
      this.retries = retries;
    }

    @Override
    public void write(StoreChange change, Context context) throws InterruptedException {
      if (change.row() != null) {
        buffer.add(change.row());
      } else {
        deletions.add(change.deletion());
      }
      if (buffer.size() + deletions.size() >= batchSize) {
        flushBuffer();
      }
    }

    @Override
    public void flush(boolean endOfInput) throws InterruptedException {
      flushBuffer();
    }

    private void flushBuffer() throws InterruptedException {
      if (buffer.isEmpty() && deletions.isEmpty()) {
        return;
      }
      Duration backoff = firstBackoff;
      for (int attempt = 1; ; attempt++) {
        try {
          if (store == null) {
            store = spec.open();
          }
          if (!buffer.isEmpty()) {
            int n = store.upsert(buffer);
            written.inc(n);
            stale.inc(buffer.size() - n);
            buffer.clear();
          }
          if (!deletions.isEmpty()) {
            deleted.inc(store.delete(deletions));
            deletions.clear();
          }
          return;
        } catch (VectorStoreException e) {
          if (!e.retriable()) {
            closeStore();
            throw e; // e.g. refused credentials: retrying cannot help, the job fails saying why
          }
          retries.inc();
          LOG.warn(
              "Vector store {}: writing {} rows and {} deletions failed (attempt {}), retrying in {}:"
                  + " {}",
              spec,
              buffer.size(),
              deletions.size(),
              attempt,
              backoff,
              e.getMessage());
          closeStore();
          Thread.sleep(backoff.toMillis());
          backoff = backoff.multipliedBy(2);
          if (backoff.compareTo(maxBackoff) > 0) {
            backoff = maxBackoff;
          }
        }
      }
    }

    private void closeStore() {
      if (store != null) {
        try {
          store.close();
        } catch (RuntimeException e) {
          LOG.debug("closing a failed store", e);
        }
        store = null;
      }
    }

    @Override
    public void close() {
      closeStore();
    }
  }
}
