package io.twinstream.trainer.online;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The trainer's memory of feedback: bounded, de-duplicated, recency-weighted, with a fixed share
 * held out for evaluation. Plain Java and not thread-safe; the Flink operator keeps its contents in
 * state through {@link #snapshot()} and {@link #restore}.
 *
 * <ul>
 *   <li><b>Hold-out:</b> whether a piece of feedback is held out depends only on its key (a hash of
 *       anchor and candidate), so the same pair always lands on the same side — after a restart
 *       too, and a duplicate can never leak from the evaluation side into training. Since feedback
 *       about one anchor should not be split, the anchor alone decides the side.
 *   <li><b>De-duplication:</b> feedback with a key already present replaces it (the later label
 *       wins) and counts as new.
 *   <li><b>Bounds:</b> each side keeps at most its capacity; the oldest entries go first.
 *   <li><b>Sampling:</b> without replacement, weight {@code 0.5^(age / halfLife)}, age counted in
 *       pieces of feedback received since (Efraimidis and Spirakis' weighted sampling, seeded).
 * </ul>
 */
public final class ReplayBuffer {

  /** What {@link #offer} did with a piece of feedback. */
  public enum Outcome {
    /** Added to the training side. */
    TRAINING,
    /** Added to the held-out evaluation side. */
    HELD_OUT,
    /** Replaced an entry with the same key (on its side). */
    UPDATED
  }

  /** An entry with its arrival sequence number; the unit of state. */
  public record Entry(Feedback feedback, long sequence, boolean heldOut) {}

  private final int capacity;
  private final double holdoutShare;
  private final double halfLife;
  private final LinkedHashMap<String, Entry> training = new LinkedHashMap<>();
  private final LinkedHashMap<String, Entry> heldOut = new LinkedHashMap<>();
  private long sequence;

  /**
   * @param capacity most entries kept for training (the held-out side keeps up to {@code capacity *
   *     holdoutShare / (1 - holdoutShare)}, at least 1)
   * @param holdoutShare share of anchors held out for evaluation, in [0, 1)
   * @param halfLife age (in pieces of feedback) at which an entry's sampling weight halves
   */
  public ReplayBuffer(int capacity, double holdoutShare, double halfLife) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
    }
    if (!(holdoutShare >= 0 && holdoutShare < 1)) {
      throw new IllegalArgumentException("holdoutShare must be in [0, 1), got " + holdoutShare);
    }
    if (!(halfLife > 0)) {
      throw new IllegalArgumentException("halfLife must be positive, got " + halfLife);
    }
    this.capacity = capacity;
    this.holdoutShare = holdoutShare;
    this.halfLife = halfLife;
  }

  /** Adds {@code feedback} to the side its anchor belongs to. */
  public Outcome offer(Feedback feedback) {
    sequence++;
    boolean held = isHeldOut(feedback.anchor(), holdoutShare);
    LinkedHashMap<String, Entry> side = held ? heldOut : training;
    Entry previous = side.remove(feedback.key());
    side.put(feedback.key(), new Entry(feedback, sequence, held));
    int limit = held ? heldOutCapacity() : capacity;
    while (side.size() > limit) {
      side.remove(side.keySet().iterator().next()); // insertion order: the oldest first
    }
    return previous != null ? Outcome.UPDATED : held ? Outcome.HELD_OUT : Outcome.TRAINING;
  }

  private int heldOutCapacity() {
    return Math.max(1, (int) Math.ceil(capacity * holdoutShare / (1 - holdoutShare)));
  }

  /**
   * Whether feedback about {@code anchor} is held out at {@code share}: a pure function of the
   * text.
   */
  static boolean isHeldOut(String anchor, double share) {
    if (share <= 0) {
      return false;
    }
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256").digest(anchor.getBytes(StandardCharsets.UTF_8));
      long bits = 0;
      for (int i = 0; i < 7; i++) {
        bits = (bits << 8) | (d[i] & 0xff);
      }
      return bits / (double) (1L << 56) < share;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Entries on the training side. */
  public int trainingSize() {
    return training.size();
  }

  /** Entries on the held-out side. */
  public int heldOutSize() {
    return heldOut.size();
  }

  /** Training entries that arrived after sequence number {@code sequence}. */
  public int trainingSince(long sequence) {
    int n = 0;
    for (Entry e : training.values()) {
      if (e.sequence() > sequence) {
        n++;
      }
    }
    return n;
  }

  /** Pieces of feedback offered so far (the age clock). */
  public long received() {
    return sequence;
  }

  /** The held-out feedback, oldest first. */
  public List<Feedback> heldOut() {
    return heldOut.values().stream().map(Entry::feedback).toList();
  }

  /** Up to {@code n} training entries, recency-weighted, without replacement, in a seeded order. */
  public List<Feedback> sample(int n, long seed) {
    return sample(n, 0, seed);
  }

  /**
   * Up to {@code n} training entries: the {@code newest} most recent as they are (what arrived
   * since the last round, typically), then {@code n - newest} replayed from the older ones,
   * recency-weighted, without replacement, in a seeded order. A round thus always trains on its new
   * feedback and mixes in a bounded share of what earlier rounds learnt from.
   */
  public List<Feedback> sample(int n, int newest, long seed) {
    if (newest < 0 || newest > n) {
      throw new IllegalArgumentException("newest must be in [0, " + n + "], got " + newest);
    }
    List<Entry> byAge = new ArrayList<>(training.values());
    byAge.sort(Comparator.comparingLong(Entry::sequence).reversed());
    Set<Entry> fresh = new HashSet<>(byAge.subList(0, Math.min(newest, byAge.size())));
    List<Feedback> out = new ArrayList<>(Math.min(n, byAge.size()));
    fresh.stream()
        .sorted(Comparator.comparingLong(Entry::sequence).reversed())
        .forEach(e -> out.add(e.feedback()));
    List<Entry> older =
        training.values().stream().filter(e -> !fresh.contains(e)).toList(); // arrival order
    out.addAll(weighted(older, n - fresh.size(), seed));
    return out;
  }

  private List<Feedback> weighted(List<Entry> entries, int n, long seed) {
    Random random = new Random(seed);
    List<Map.Entry<Double, Feedback>> keyed = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      double weight = Math.pow(0.5, (sequence - e.sequence()) / halfLife);
      double u = random.nextDouble();
      // Efraimidis-Spirakis: key = u^(1/w); the n largest keys are a weighted sample without
      // replacement.
      keyed.add(Map.entry(Math.log(Math.max(u, Double.MIN_VALUE)) / weight, e.feedback()));
    }
    keyed.sort(
        Comparator.comparingDouble((Map.Entry<Double, Feedback> k) -> k.getKey()).reversed());
    return keyed.subList(0, Math.min(n, keyed.size())).stream().map(Map.Entry::getValue).toList();
  }

  /** Everything, for checkpointing: both sides, oldest first. */
  public List<Entry> snapshot() {
    List<Entry> out = new ArrayList<>(training.values());
    out.addAll(heldOut.values());
    out.sort(Comparator.comparingLong(Entry::sequence));
    return out;
  }

  /** A buffer holding {@code entries} (from {@link #snapshot()}), with the given settings. */
  public static ReplayBuffer restore(
      List<Entry> entries, int capacity, double holdoutShare, double halfLife) {
    ReplayBuffer buffer = new ReplayBuffer(capacity, holdoutShare, halfLife);
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(Entry::sequence));
    for (Entry e : sorted) {
      // Keep the sequence numbers, so ages (and so sampling) are what they were.
      buffer.sequence = e.sequence() - 1;
      buffer.offer(e.feedback());
    }
    return buffer;
  }
}
