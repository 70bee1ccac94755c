/**
 * The sentence encoder shared by every part of Twinstream: {@link
 * io.twinstream.encoder.ModelBundle} (a verified model directory or built-in model), {@link
 * io.twinstream.encoder.SentenceEncoder} (batched tokenize → ONNX Runtime → pooling → normalise)
 * and the import of sentence-transformers exports. Plain Java: no Flink or Kafka types.
 */
package io.twinstream.encoder;
