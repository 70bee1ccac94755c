package io.twinstream.serve;

import io.twinstream.encoder.InvalidBundleException;
import io.twinstream.encoder.bridge.QueryBridge;
import io.twinstream.encoder.registry.ModelRegistry;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The query bridges searches use while a promoted version is backfilled: the newest promoted
 * version V's bundle holds a map from V's space into the space of the version it was trained from
 * ({@link QueryBridge}); while the store still searches that version, a query is embedded by V,
 * mapped, and searched among the store's vectors, so that the promotion helps searches before the
 * backfill ends. Bridges are read from the registry off the request threads, once per version; a
 * bridge missing, damaged or of another dimension is refused (logged, counted) and searches go on
 * without it.
 */
public final class QueryBridges implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(QueryBridges.class);

  private final ModelRegistry registry;
  private final int dimension;
  private final Map<String, Optional<QueryBridge>> byVersion = new ConcurrentHashMap<>();
  private final ExecutorService loader;
  final AtomicLong bridged = new AtomicLong();
  final AtomicLong refused = new AtomicLong();

  /**
   * @param registry where bundles are read from; null = no bridges
   * @param dimension the vectors' dimension, which a bridge must have
   */
  public QueryBridges(ModelRegistry registry, int dimension) {
    this.registry = registry;
    this.dimension = dimension;
    this.loader =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "twinstream-serve-bridge-loader");
              t.setDaemon(true);
              return t;
            });
  }

  /** No bridges: searches always embed with the version the store searches. */
  public static QueryBridges none() {
    return new QueryBridges(null, 0);
  }

  /**
   * The bridge from {@code newest} into {@code searched}'s space, when {@code newest}'s bundle has
   * one towards that version and it is loaded; null otherwise (and {@code newest}'s bridge starts
   * loading if it was not asked for before).
   */
  public QueryBridge towards(String newest, String searched) {
    if (registry == null || newest.equals(searched)) {
      return null;
    }
    Optional<QueryBridge> loaded = byVersion.get(newest);
    if (loaded == null) {
      if (byVersion.putIfAbsent(newest, Optional.empty()) == null) {
        loader.execute(() -> load(newest));
      }
      return null;
    }
    return loaded.filter(b -> b.to().equals(searched)).orElse(null);
  }

  /** Bridges loaded, by the version they map from. */
  public Map<String, QueryBridge> loaded() {
    Map<String, QueryBridge> out = new TreeMap<>();
    byVersion.forEach((v, b) -> b.ifPresent(x -> out.put(v, x)));
    return out;
  }

  private void load(String version) {
    Optional<byte[]> bytes;
    try {
      bytes = registry.file(version, QueryBridge.FILE_NAME);
    } catch (InvalidBundleException | RuntimeException e) {
      refuse(version, e.getMessage());
      return;
    }
    if (bytes.isEmpty()) {
      LOG.info(
          "{} has no query bridge: searches use the store's version until its cut-over", version);
      return;
    }
    QueryBridge bridge;
    try {
      bridge =
          QueryBridge.parse(bytes.get(), registry.describe(version + "/" + QueryBridge.FILE_NAME));
    } catch (IllegalArgumentException e) {
      refuse(version, e.getMessage());
      return;
    }
    if (!bridge.from().equals(version) || bridge.map().dimension() != dimension) {
      refuse(
          version,
          "its bridge maps "
              + bridge.from()
              + " ("
              + bridge.map().dimension()
              + " dimensions), expected "
              + version
              + " ("
              + dimension
              + ")");
      return;
    }
    byVersion.put(version, Optional.of(bridge));
    LOG.info(
        "Query bridge {} -> {} ({}, fitted on {} texts, held-out cosine {} vs {} without it)",
        bridge.from(),
        bridge.to(),
        bridge.method().optionName(),
        bridge.fit().texts(),
        String.format(java.util.Locale.ROOT, "%.4f", bridge.fit().cosine()),
        String.format(java.util.Locale.ROOT, "%.4f", bridge.fit().identityCosine()));
  }

  private void refuse(String version, String why) {
    refused.incrementAndGet();
    LOG.warn("Query bridge of {} refused, searches go on without it: {}", version, why);
  }

  @Override
  public void close() {
    loader.shutdownNow();
  }
}
