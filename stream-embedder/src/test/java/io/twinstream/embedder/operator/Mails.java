package io.twinstream.embedder.operator;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/**
 * Runs the mails an operator under test posts to its task's mailbox, as the task thread does
 * between records: the operator test harness never runs them by itself.
 */
final class Mails {

  private Mails() {}

  /** Runs mails until {@code done} holds; fails after a minute. */
  static void runUntil(AbstractStreamOperatorTestHarness<?> harness, BooleanSupplier done)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (!done.getAsBoolean()) {
      Optional<Mail> mail = harness.getTaskMailbox().tryTake(TaskMailbox.MIN_PRIORITY);
      if (mail.isPresent()) {
        mail.get().run();
      } else if (System.nanoTime() > deadline) {
        throw new AssertionError("the operator did not get there within a minute");
      } else {
        Thread.onSpinWait();
      }
    }
  }
}
