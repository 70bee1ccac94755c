package io.twinstream.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CorpusVectorsTest {

  @Test
  void topKRanksByDotProductAndBreaksTiesByCorpusOrder() {
    CorpusVectors v = new CorpusVectors(List.of("a", "b", "c", "d"));
    v.put("a", new float[] {0, 1});
    v.put("b", new float[] {1, 0});
    v.put("c", new float[] {0.5f, 0.5f});
    assertFalse(v.complete());
    assertThrows(IllegalStateException.class, () -> v.topK(new float[] {1, 0}, 2));
    v.put("d", new float[] {1, 0});
    assertTrue(v.complete());
    assertEquals(List.of("b", "d", "c"), v.topK(new float[] {1, 0}, 3));
    assertEquals(List.of("a", "c", "b", "d"), v.topK(new float[] {0, 1}, 10));
  }
}
