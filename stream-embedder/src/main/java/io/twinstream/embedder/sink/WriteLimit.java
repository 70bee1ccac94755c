package io.twinstream.embedder.sink;

import java.io.Serializable;

/**
 * What a sink does with a record it cannot write: larger than {@code maxBytes} (the topic's and the
 * producer's limit), or refused by its schema. It goes to {@code deadLetterTopic} with the reason
 * and stage {@code stage}, cut down to fit if it has to be, in the same transaction: the pipeline
 * moves on and nothing is lost silently.
 *
 * @param maxBytes most bytes of a record's key and value together
 * @param deadLetterTopic where records that cannot be written go
 * @param stage the dead letters' stage (e.g. {@code write-embeddings})
 */
public record WriteLimit(int maxBytes, String deadLetterTopic, String stage)
    implements Serializable {

  public WriteLimit {
    if (maxBytes < 4_096) {
      throw new IllegalArgumentException("maxBytes must be at least 4096, got " + maxBytes);
    }
  }
}
