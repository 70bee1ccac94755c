/**
 * ONNX graphs without ONNX's own libraries: a protobuf reader and writer for model files ({@link
 * io.twinstream.encoder.onnx.OnnxModel}), BERT weights by their Hugging Face names, the fused BERT
 * graph that ONNX Runtime runs faster, and per-sequence int8 quantisation.
 */
package io.twinstream.encoder.onnx;
