/**
 * Continuous learning on Flink: {@link io.twinstream.streamtrainer.TrainerOperator}, a thin shell
 * around the plain-Java {@link io.twinstream.trainer.online.ContinuousTrainer}; the trainer's part
 * of a job graph ({@link io.twinstream.streamtrainer.TrainerPipeline}); the embedding job with the
 * trainer ({@link io.twinstream.streamtrainer.LearningJob}) and the trainer alone ({@link
 * io.twinstream.streamtrainer.TrainerJob}); the trainer's options.
 */
package io.twinstream.streamtrainer;
