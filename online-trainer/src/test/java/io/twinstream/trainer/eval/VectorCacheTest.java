package io.twinstream.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VectorCacheTest {

  /** An embedder that records what it was asked to embed: a text's vector is {length, 1}. */
  private static final class Recording implements Embedder {
    final List<String> asked = new ArrayList<>();

    @Override
    public float[][] embed(List<String> texts) {
      asked.addAll(texts);
      return texts.stream().map(t -> new float[] {t.length(), 1}).toArray(float[][]::new);
    }
  }

  @Test
  void aTextIsEmbeddedOnceAndLaterCallsGetItsVectorInOrder() {
    VectorCache cache = new VectorCache("v1", 100);
    Recording model = new Recording();
    Embedder cached = cache.over(model);
    cached.embed(List.of("a", "bb"));
    float[][] out = cached.embed(List.of("ccc", "a", "bb", "ccc"));
    assertEquals(List.of("a", "bb", "ccc", "ccc"), model.asked, "one call with both misses");
    assertArrayEquals(new float[] {3, 1}, out[0]);
    assertArrayEquals(new float[] {1, 1}, out[1]);
    assertArrayEquals(new float[] {2, 1}, out[2]);
    assertEquals(3, cache.size());
    assertEquals(4, cache.misses());
    assertEquals(2, cache.hits());
  }

  @Test
  void changingAReturnedVectorDoesNotChangeTheCachedOne() {
    VectorCache cache = new VectorCache("v1", 100);
    Embedder cached = cache.over(new Recording());
    cached.embed(List.of("abcd"))[0][0] = -7; // what RetrievalEvaluator's normalisation does
    float[] again = cached.embed(List.of("abcd"))[0];
    again[1] = -9;
    assertArrayEquals(new float[] {4, 1}, cached.embed(List.of("abcd"))[0]);
  }

  @Test
  void theLeastRecentlyUsedGoFirstAndCapacityZeroKeepsNothing() {
    VectorCache cache = new VectorCache("v1", 2);
    Recording model = new Recording();
    Embedder cached = cache.over(model);
    cached.embed(List.of("a", "b"));
    cached.embed(List.of("a")); // a is now the most recent
    cached.embed(List.of("c")); // b goes
    model.asked.clear();
    cached.embed(List.of("a", "b", "c"));
    assertEquals(List.of("b"), model.asked);

    VectorCache none = new VectorCache("v1", 0);
    Recording again = new Recording();
    none.over(again).embed(List.of("a"));
    none.over(again).embed(List.of("a"));
    assertEquals(List.of("a", "a"), again.asked);
    assertEquals(0, none.size());
    assertThrows(IllegalArgumentException.class, () -> new VectorCache("v1", -1));
  }
}
