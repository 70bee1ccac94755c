package io.twinstream.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * The embedded store: a Lucene index on disk with an HNSW graph over the vectors (Lucene's {@code
 * KnnFloatVectorField}, cosine), searched within a version by a filtered k-NN query. No server: the
 * one-machine default. Each {@link #upsert} is one Lucene commit (durable when it returns); the
 * serving version is kept in the commit's user data, so a cut-over is as atomic and durable as a
 * commit, and survives a restart.
 */
public final class LuceneVectorStore implements VectorStore {

  private static final String KEY = "key";
  private static final String ID = "id";
  private static final String VERSION = "version";
  private static final String VECTOR = "vector";
  private static final String SEQUENCE = "sequence";
  private static final String ATTRIBUTES = "attributes";
  private static final String ATTRIBUTE = "a.";
  private static final String SERVING = "twinstream.serving";
  private static final String TOMBSTONE = "tombstone";
  private static final String DELETED_AT = "deletedAt";
  private static final String DELETED_ID = "deletedId";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Versions of at most this many rows are searched exactly (see {@link #search}). */
  public static final int EXACT_UP_TO = 5_000;

  private final Path path;
  private final int dimensions;
  private final Directory directory;
  private final IndexWriter writer;
  private final SearcherManager searchers;
  private volatile String serving;

  private LuceneVectorStore(Path path, int dimensions) throws IOException {
    this.path = path;
    this.dimensions = dimensions;
    Files.createDirectories(path);
    this.directory = FSDirectory.open(path);
    String kept = null;
    if (DirectoryReader.indexExists(directory)) {
      kept = SegmentInfos.readLatestCommit(directory).getUserData().get(SERVING);
    }
    this.writer = new IndexWriter(directory, new IndexWriterConfig());
    this.serving = kept;
    if (kept != null) {
      writer.setLiveCommitData(Map.of(SERVING, kept).entrySet());
    }
    this.searchers = new SearcherManager(writer, null);
  }

  /**
   * Opens the store in {@code path}, creating it if it is not there.
   *
   * @param dimensions vector dimensions (at most 1024, Lucene's limit for vector fields)
   * @throws UncheckedIOException naming the directory when it cannot be opened (e.g. another
   *     process holds its write lock)
   */
  public static LuceneVectorStore open(Path path, int dimensions) {
    if (dimensions < 1 || dimensions > 1024) {
      throw new IllegalArgumentException(
          "dimensions must be in [1, 1024] for the embedded store, got " + dimensions);
    }
    try {
      return new LuceneVectorStore(path, dimensions);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the vector store in " + path + ": " + e, e);
    }
  }

  @Override
  public int dimensions() {
    return dimensions;
  }

  @Override
  public synchronized int upsert(List<VectorRow> rows) {
    for (VectorRow row : rows) {
      checkDimensions(row.vector(), "row " + row.id() + " @ " + row.version());
    }
    try {
      IndexSearcher searcher = searchers.acquire();
      int written = 0;
      try {
        Map<String, Long> deleted = deletedAt(searcher, rows);
        Map<String, Long> pending = new HashMap<>();
        for (VectorRow row : rows) {
          String key = key(row.id(), row.version());
          Long stored = pending.containsKey(key) ? pending.get(key) : storedSequence(searcher, key);
          if (stored != null && stored > row.sequence()) {
            continue;
          }
          Long deletedAt = deleted.get(row.id());
          if (deletedAt != null && deletedAt >= row.sequence()) {
            continue;
          }
          writer.updateDocument(new Term(KEY, key), document(key, row));
          pending.put(key, row.sequence());
          written++;
        }
      } finally {
        searchers.release(searcher);
      }
      writer.commit();
      searchers.maybeRefreshBlocking();
      return written;
    } catch (IOException e) {
      throw new VectorStoreException("vector store " + path + ": upsert failed: " + e, e);
    }
  }

  /** The sequence document {@code id} was last deleted at, if it was (by a tombstone). */
  private static Long deletedAt(IndexSearcher searcher, String id) throws IOException {
    TopDocs top = searcher.search(new TermQuery(new Term(KEY, tombstoneKey(id))), 1);
    if (top.scoreDocs.length == 0) {
      return null;
    }
    Document doc = searcher.storedFields().document(top.scoreDocs[0].doc, Set.of(DELETED_AT));
    return doc.getField(DELETED_AT).numericValue().longValue();
  }

  /** The tombstones of the documents of {@code rows}: id → sequence it was deleted at. */
  private static Map<String, Long> deletedAt(IndexSearcher searcher, List<VectorRow> rows)
      throws IOException {
    if (searcher.count(new TermQuery(new Term(TOMBSTONE, "1"))) == 0) {
      return Map.of();
    }
    List<BytesRef> keys = new ArrayList<>(rows.size());
    for (VectorRow row : rows) {
      keys.add(new BytesRef(tombstoneKey(row.id())));
    }
    TopDocs top = searcher.search(new TermInSetQuery(KEY, keys), Math.max(1, rows.size()));
    Map<String, Long> deleted = new HashMap<>();
    for (ScoreDoc d : top.scoreDocs) {
      Document doc = searcher.storedFields().document(d.doc, Set.of(DELETED_ID, DELETED_AT));
      deleted.put(doc.get(DELETED_ID), doc.getField(DELETED_AT).numericValue().longValue());
    }
    return deleted;
  }

  /** The key of a document's tombstone: no row's key, as no version name starts with NUL. */
  private static String tombstoneKey(String id) {
    return "\u0000" + id;
  }

  private static Long storedSequence(IndexSearcher searcher, String key) throws IOException {
    TopDocs top = searcher.search(new TermQuery(new Term(KEY, key)), 1);
    if (top.scoreDocs.length == 0) {
      return null;
    }
    Document doc = searcher.storedFields().document(top.scoreDocs[0].doc, Set.of(SEQUENCE));
    return doc.getField(SEQUENCE).numericValue().longValue();
  }

  private static Document document(String key, VectorRow row) throws JsonProcessingException {
    Document doc = new Document();
    doc.add(new StringField(KEY, key, Field.Store.NO));
    doc.add(new StringField(ID, row.id(), Field.Store.YES));
    doc.add(new StringField(VERSION, row.version(), Field.Store.YES));
    doc.add(new KnnFloatVectorField(VECTOR, row.vector(), VectorSimilarityFunction.COSINE));
    doc.add(new StoredField(SEQUENCE, row.sequence()));
    if (!row.attributes().isEmpty()) {
      doc.add(new StoredField(ATTRIBUTES, JSON.writeValueAsString(row.attributes())));
      for (Map.Entry<String, String> a : row.attributes().entrySet()) {
        doc.add(new StringField(ATTRIBUTE + a.getKey(), a.getValue(), Field.Store.NO));
      }
    }
    return doc;
  }

  @Override
  public synchronized long delete(String id) {
    try {
      IndexSearcher searcher = searchers.acquire();
      long n;
      try {
        n = searcher.count(new TermQuery(new Term(ID, id)));
      } finally {
        searchers.release(searcher);
      }
      writer.deleteDocuments(new Term(ID, id), new Term(KEY, tombstoneKey(id)));
      writer.commit();
      searchers.maybeRefreshBlocking();
      return n;
    } catch (IOException e) {
      throw new VectorStoreException("vector store " + path + ": delete of " + id + " failed", e);
    }
  }

  @Override
  public synchronized long delete(List<Deletion> deletions) {
    if (deletions.isEmpty()) {
      return 0;
    }
    Map<String, Long> latest = new HashMap<>();
    for (Deletion d : deletions) {
      latest.merge(d.id(), d.sequence(), Math::max);
    }
    try {
      IndexSearcher searcher = searchers.acquire();
      long n = 0;
      try {
        for (Map.Entry<String, Long> d : latest.entrySet()) {
          String id = d.getKey();
          long sequence = d.getValue();
          TopDocs rows = searcher.search(new TermQuery(new Term(ID, id)), Integer.MAX_VALUE);
          for (ScoreDoc row : rows.scoreDocs) {
            Document stored = searcher.storedFields().document(row.doc, Set.of(VERSION, SEQUENCE));
            if (stored.getField(SEQUENCE).numericValue().longValue() <= sequence) {
              writer.deleteDocuments(new Term(KEY, key(id, stored.get(VERSION))));
              n++;
            }
          }
          Long before = deletedAt(searcher, id);
          if (before == null || before < sequence) {
            Document tombstone = new Document();
            tombstone.add(new StringField(KEY, tombstoneKey(id), Field.Store.NO));
            tombstone.add(new StringField(TOMBSTONE, "1", Field.Store.NO));
            tombstone.add(new StoredField(DELETED_ID, id));
            tombstone.add(new StoredField(DELETED_AT, sequence));
            writer.updateDocument(new Term(KEY, tombstoneKey(id)), tombstone);
          }
        }
      } finally {
        searchers.release(searcher);
      }
      writer.commit();
      searchers.maybeRefreshBlocking();
      return n;
    } catch (IOException e) {
      throw new VectorStoreException(
          "vector store " + path + ": deleting " + latest.size() + " documents failed: " + e, e);
    }
  }

  @Override
  public List<Hit> search(String version, float[] query, int k, Map<String, String> filter) {
    ModelVersions.check(version);
    checkDimensions(query, "the query");
    VectorRow.checkVector(query, "the query");
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    try {
      IndexSearcher searcher = searchers.acquire();
      try {
        // Lucene's HNSW search keeps as many candidates as it is asked for: ask for at least 40
        // (pgvector's default hnsw.ef_search) and keep the best k. A version of at most
        // EXACT_UP_TO rows is searched exactly: asked for as many candidates as the filter
        // matches, Lucene scores every row of the version instead of walking the graph, which at
        // that size costs about as much and returns the true top k, whatever the segments.
        // Attributes are indexed as terms: the k-NN query only visits rows that match them.
        BooleanQuery.Builder rowsOf = new BooleanQuery.Builder();
        rowsOf.add(new TermQuery(new Term(VERSION, version)), BooleanClause.Occur.FILTER);
        for (Map.Entry<String, String> f : filter.entrySet()) {
          rowsOf.add(
              new TermQuery(new Term(ATTRIBUTE + f.getKey(), f.getValue())),
              BooleanClause.Occur.FILTER);
        }
        Query rowFilter = rowsOf.build();
        int rows = searcher.count(rowFilter);
        if (rows == 0) {
          return List.of();
        }
        int candidates = rows <= EXACT_UP_TO ? Math.max(rows, k) : Math.max(40, 2 * k);
        TopDocs top =
            searcher.search(new KnnFloatVectorQuery(VECTOR, query, candidates, rowFilter), k);
        List<Hit> hits = new ArrayList<>(top.scoreDocs.length);
        for (ScoreDoc d : top.scoreDocs) {
          String id = searcher.storedFields().document(d.doc, Set.of(ID)).get(ID);
          // Lucene's cosine score is (1 + cos) / 2.
          hits.add(new Hit(id, 2.0 * d.score - 1.0));
        }
        return hits;
      } finally {
        searchers.release(searcher);
      }
    } catch (IOException e) {
      throw new VectorStoreException("vector store " + path + ": search failed: " + e, e);
    }
  }

  @Override
  public ServedHits searchServing(float[] query, int k) {
    String version = serving;
    if (version == null) {
      throw new IllegalStateException("vector store " + path + ": no version serves yet");
    }
    // Rows of a version that served are dropped only after a grace period, so the version read
    // here is complete for the whole search even if a cut-over happens meanwhile.
    return new ServedHits(version, search(version, query, k));
  }

  @Override
  public Optional<String> servingVersion() {
    return Optional.ofNullable(serving);
  }

  @Override
  public synchronized void cutOver(String version) {
    ModelVersions.check(version);
    if (count(version) == 0) {
      throw new IllegalArgumentException(
          "vector store " + path + ": cannot cut over to " + version + ": it has no rows");
    }
    try {
      writer.setLiveCommitData(Map.of(SERVING, version).entrySet());
      writer.commit();
      serving = version;
    } catch (IOException e) {
      throw new VectorStoreException(
          "vector store " + path + ": cut-over to " + version + " failed", e);
    }
  }

  @Override
  public long count(String version) {
    try {
      IndexSearcher searcher = searchers.acquire();
      try {
        return searcher.count(new TermQuery(new Term(VERSION, version)));
      } finally {
        searchers.release(searcher);
      }
    } catch (IOException e) {
      throw new VectorStoreException("vector store " + path + ": count failed", e);
    }
  }

  @Override
  public Map<String, Long> versions() {
    try {
      IndexSearcher searcher = searchers.acquire();
      try {
        Map<String, Long> out = new TreeMap<>();
        for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
          Terms terms = leaf.reader().terms(VERSION);
          if (terms == null) {
            continue;
          }
          TermsEnum it = terms.iterator();
          for (BytesRef term = it.next(); term != null; term = it.next()) {
            out.putIfAbsent(term.utf8ToString(), 0L);
          }
        }
        out.replaceAll(
            (version, zero) -> {
              try {
                return (long) searcher.count(new TermQuery(new Term(VERSION, version)));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
        out.values().removeIf(n -> n == 0);
        return out;
      } finally {
        searchers.release(searcher);
      }
    } catch (IOException | UncheckedIOException e) {
      throw new VectorStoreException("vector store " + path + ": listing versions failed", e);
    }
  }

  @Override
  public synchronized long dropVersion(String version) {
    ModelVersions.check(version);
    if (version.equals(serving)) {
      throw new IllegalArgumentException(
          "vector store " + path + ": " + version + " is serving; cut over first");
    }
    long n = count(version);
    try {
      writer.deleteDocuments(new Term(VERSION, version));
      writer.commit();
      searchers.maybeRefreshBlocking();
      return n;
    } catch (IOException e) {
      throw new VectorStoreException(
          "vector store " + path + ": drop of " + version + " failed", e);
    }
  }

  /**
   * Merges the index into one segment and commits. Each {@link #upsert} commits a segment of its
   * own, and a search visits every segment's HNSW graph, so after a bulk load or a backfill (and
   * after dropping a version) searches get faster once the segments are merged; merging rebuilds
   * the graph, which takes time proportional to the rows (see docs/benchmarks.md).
   */
  @Override
  public synchronized void compact() {
    try {
      writer.forceMerge(1);
      writer.commit();
      searchers.maybeRefreshBlocking();
    } catch (IOException e) {
      throw new VectorStoreException("vector store " + path + ": compaction failed: " + e, e);
    }
  }

  /** Index segments now (each has its own HNSW graph). */
  public int segments() {
    try {
      IndexSearcher searcher = searchers.acquire();
      try {
        return searcher.getIndexReader().leaves().size();
      } finally {
        searchers.release(searcher);
      }
    } catch (IOException e) {
      throw new VectorStoreException("vector store " + path + ": reading segments failed", e);
    }
  }

  private void checkDimensions(float[] vector, String what) {
    VectorRow.checkDimensions(vector, dimensions, what);
  }

  private static String key(String id, String version) {
    return version + "\u0000" + id;
  }

  @Override
  public Optional<VectorRow> get(String id, String version) {
    try {
      IndexSearcher searcher = searchers.acquire();
      try {
        TopDocs top = searcher.search(new TermQuery(new Term(KEY, key(id, version))), 1);
        if (top.scoreDocs.length == 0) {
          return Optional.empty();
        }
        int doc = top.scoreDocs[0].doc;
        Document stored = searcher.storedFields().document(doc);
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
        FloatVectorValues values = leaf.reader().getFloatVectorValues(VECTOR);
        if (values.advance(doc - leaf.docBase) != doc - leaf.docBase) {
          throw new VectorStoreException(
              "vector store " + path + ": row " + id + " @ " + version + " has no vector");
        }
        String json = stored.get(ATTRIBUTES);
        Map<String, String> attributes =
            json == null ? Map.of() : JSON.readValue(json, new TypeReference<>() {});
        return Optional.of(
            new VectorRow(
                id,
                version,
                values.vectorValue().clone(),
                attributes,
                stored.getField(SEQUENCE).numericValue().longValue()));
      } finally {
        searchers.release(searcher);
      }
    } catch (IOException e) {
      throw new VectorStoreException("vector store " + path + ": read failed", e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      searchers.close();
      writer.close();
      directory.close();
    } catch (IOException e) {
      throw new VectorStoreException("vector store " + path + ": close failed", e);
    }
  }
}
