/**
 * The continuous-learning core, plain Java: feedback into a {@link
 * io.twinstream.trainer.online.ReplayBuffer}, a {@link
 * io.twinstream.trainer.online.TrainingTrigger}, one {@link
 * io.twinstream.trainer.online.FineTuningRound} at a time gated by a {@link
 * io.twinstream.trainer.online.PromotionGate}, all driven by {@link
 * io.twinstream.trainer.online.ContinuousTrainer}, whose state is a {@link
 * io.twinstream.trainer.online.TrainerState} and whose announcements go through the {@link
 * io.twinstream.trainer.online.ModelUpdatePublisher} port. Flink runs it in {@code stream-trainer}.
 */
package io.twinstream.trainer.online;
