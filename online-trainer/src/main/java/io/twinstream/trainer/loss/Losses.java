package io.twinstream.trainer.loss;

import java.util.List;

/** The losses by command-line name, with sentence-transformers' default hyper-parameters. */
public final class Losses {

  /** Names accepted by {@link #byName}. */
  public static final List<String> NAMES =
      List.of(
          "mnrl",
          "mnrl-symmetric",
          "contrastive",
          "online-contrastive",
          "triplet",
          "batch-hard-triplet",
          "cosent");

  private Losses() {}

  /**
   * The loss called {@code name}, with default hyper-parameters.
   *
   * @throws IllegalArgumentException naming the accepted names if {@code name} is not one
   */
  public static Loss byName(String name) {
    return switch (name) {
      case "mnrl" -> new MultipleNegativesRankingLoss();
      case "mnrl-symmetric" ->
          new MultipleNegativesRankingLoss(MultipleNegativesRankingLoss.DEFAULT_SCALE, true);
      case "contrastive" -> new ContrastiveLoss();
      case "online-contrastive" -> new OnlineContrastiveLoss();
      case "triplet" -> new TripletLoss();
      case "batch-hard-triplet" ->
          new TripletLoss(TripletLoss.DEFAULT_MARGIN, TripletLoss.Distance.EUCLIDEAN, true);
      case "cosent" -> new CoSentLoss();
      default ->
          throw new IllegalArgumentException("unknown loss '" + name + "'; choose one of " + NAMES);
    };
  }
}
