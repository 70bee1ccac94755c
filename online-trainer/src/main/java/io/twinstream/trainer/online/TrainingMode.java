package io.twinstream.trainer.online;

import java.util.Locale;

/** What a round trains ({@code trainer.mode}). */
public enum TrainingMode {
  /** A copy of the serving model's weights: documents must be embedded again (a backfill). */
  FULL,
  /**
   * A query adapter only ({@link io.twinstream.encoder.bridge.AdapterTrainer}): the model and the
   * documents' vectors stay those of the version the adapter maps into, so a promotion serves at
   * once and needs no backfill.
   */
  ADAPTER;

  /** {@code full} or {@code adapter}. */
  public String optionName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The mode {@code name} names.
   *
   * @throws IllegalArgumentException naming the choices
   */
  public static TrainingMode parse(String name) {
    for (TrainingMode m : values()) {
      if (m.optionName().equalsIgnoreCase(name.trim())) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown training mode '" + name + "': full or adapter");
  }
}
