/**
 * Fine-tuning the twin (siamese) encoder on DJL's PyTorch engine: {@link
 * io.twinstream.trainer.TwinEncoder} (BERT with the weights of a bundle's ONNX graph), {@link
 * io.twinstream.trainer.FineTuner} (AdamW, warm-up and decay, clipping, gradient cache) and its
 * {@link io.twinstream.trainer.TrainingOptions}. Plain Java: no Flink or Kafka.
 */
package io.twinstream.trainer;
