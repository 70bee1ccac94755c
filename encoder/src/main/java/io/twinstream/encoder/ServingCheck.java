package io.twinstream.encoder;

import io.twinstream.encoder.InvalidBundleException.Problem;
import java.util.List;

/**
 * Whether an opened model can serve, beyond its checksums: texts from one word to the maximum
 * sequence length come out as finite vectors of the declared dimension, of unit length when the
 * bundle normalises. {@link SentenceEncoder#open} has checked by then that the model loads, that
 * its position table takes the maximum length, and the dimension of a short text. Everything that
 * lets a bundle serve runs this: publishing into a registry, promoting, and a job before it swaps a
 * model in. It also warms the session up.
 */
public final class ServingCheck {

  /** How far from 1 a normalised vector's length may be. */
  private static final double UNIT_TOLERANCE = 1e-3;

  private ServingCheck() {}

  /**
   * Opens {@code bundle} on one thread with the model's own graph, checks it, and closes it. The
   * fused graph a server builds from the same weights would hold two more copies of them on the
   * heap while it is built (a one-shot {@code model publish} of the 90 MB default model then needed
   * 886 MB and failed at {@code -Xmx384m}); what this check proves — the file loads, its positions
   * take the maximum length, its vectors have the declared dimension and length — is the graph's.
   */
  public static void check(ModelBundle bundle) throws InvalidBundleException {
    try (SentenceEncoder encoder =
        SentenceEncoder.open(
            bundle, EncoderOptions.defaults().withThreads(1).withFuseGraph(false))) {
      check(encoder, bundle.location());
    }
  }

  /**
   * Checks {@code encoder}, one text at a time (on the caller's thread only).
   *
   * @throws InvalidBundleException ({@link Problem#INVALID_MODEL}) naming {@code location} and what
   *     is wrong
   */
  public static void check(SentenceEncoder encoder, String location) throws InvalidBundleException {
    BundleManifest manifest = encoder.manifest();
    int maxLength = encoder.maxSequenceLength();
    String longest = "probe ".repeat(maxLength + 8).trim();
    List<String> probes =
        List.of(
            "probe",
            "A probe sentence of a typical length for a message stream.",
            "A longer probe text. ".repeat(Math.max(1, maxLength / 8)),
            longest);
    for (String text : probes) {
      SentenceEmbedding e;
      try {
        e = encoder.encode(text);
      } catch (RuntimeException failure) {
        throw new InvalidBundleException(
            Problem.INVALID_MODEL,
            location,
            "the model fails on a probe text of "
                + text.length()
                + " characters (maxSequenceLength "
                + maxLength
                + "): "
                + failure.getMessage(),
            failure);
      }
      float[] v = e.vector();
      if (v.length != manifest.dimension()) {
        throw new InvalidBundleException(
            Problem.INVALID_MODEL,
            location,
            "the model produces "
                + v.length
                + "-dimensional vectors but the manifest says "
                + manifest.dimension());
      }
      double squares = 0;
      for (float x : v) {
        if (!Float.isFinite(x)) {
          throw new InvalidBundleException(
              Problem.INVALID_MODEL,
              location,
              "the model produces non-finite values (" + x + ") for a probe text");
        }
        squares += (double) x * x;
      }
      if (manifest.normalize() && Math.abs(Math.sqrt(squares) - 1) > UNIT_TOLERANCE) {
        throw new InvalidBundleException(
            Problem.INVALID_MODEL,
            location,
            "the manifest says vectors are normalised, but a probe vector has length "
                + Math.sqrt(squares));
      }
    }
  }
}
