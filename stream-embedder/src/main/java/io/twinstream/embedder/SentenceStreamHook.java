package io.twinstream.embedder;

import io.twinstream.records.Sentence;
import java.io.Serializable;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * A transformation inserted between decoding and embedding. The job itself uses {@link #NONE};
 * tests use it to inject failures, and extensions to filter or enrich sentences.
 */
@FunctionalInterface
public interface SentenceStreamHook extends Serializable {

  /** No transformation. */
  SentenceStreamHook NONE = stream -> stream;

  DataStream<Sentence> apply(DataStream<Sentence> sentences);
}
