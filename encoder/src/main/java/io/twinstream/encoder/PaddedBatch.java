package io.twinstream.encoder;

import io.twinstream.encoder.TextTokenizer.Tokenized;
import java.util.Arrays;

/**
 * Texts {@code order[from..to)} as one model input: token ids, attention mask and token types, each
 * {@code rows × seqLen}, padded on the right to the longest text.
 */
record PaddedBatch(int rows, int seqLen, long[] ids, long[] mask, long[] types) {

  static PaddedBatch of(Tokenized[] tokenized, Integer[] order, int from, int to) {
    int rows = to - from;
    int seqLen = 0;
    for (int r = 0; r < rows; r++) {
      seqLen = Math.max(seqLen, tokenized[order[from + r]].length());
    }
    long[] ids = new long[rows * seqLen];
    long[] mask = new long[rows * seqLen];
    long[] types = new long[rows * seqLen];
    for (int r = 0; r < rows; r++) {
      Tokenized t = tokenized[order[from + r]];
      System.arraycopy(t.ids(), 0, ids, r * seqLen, t.length());
      System.arraycopy(t.typeIds(), 0, types, r * seqLen, t.length());
      Arrays.fill(mask, r * seqLen, r * seqLen + t.length(), 1L);
    }
    return new PaddedBatch(rows, seqLen, ids, mask, types);
  }

  /** The {@code [rows, seqLen]} shape of the inputs. */
  long[] shape() {
    return new long[] {rows, seqLen};
  }
}
