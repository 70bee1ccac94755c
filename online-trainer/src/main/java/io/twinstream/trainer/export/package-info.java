/**
 * Trained weights out: a verified Twinstream bundle (the ONNX graph with its initializers
 * rewritten, a manifest with parent, training record and metrics) or a sentence-transformers folder
 * (safetensors).
 */
package io.twinstream.trainer.export;
