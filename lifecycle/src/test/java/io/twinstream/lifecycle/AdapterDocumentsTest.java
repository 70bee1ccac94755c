package io.twinstream.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.twinstream.encoder.ModelBundle;
import io.twinstream.encoder.bridge.BridgeFit;
import io.twinstream.encoder.bridge.BridgeMethod;
import io.twinstream.encoder.bridge.LinearMap;
import io.twinstream.encoder.bridge.QueryBridge;
import io.twinstream.encoder.bridge.ResidualMap;
import io.twinstream.encoder.registry.ModelRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterDocumentsTest {

  @TempDir Path tmp;

  private static ServingDecisions deciding(String version) {
    return new ServingDecisions() {
      @Override
      public Optional<String> serving() {
        return Optional.of(version);
      }

      @Override
      public void await(Duration timeout) {}
    };
  }

  @Test
  void anAdapterVersionsTargetIsTheVersionWhoseDocumentsItSearches() throws Exception {
    ModelRegistry registry = ModelRegistry.open(tmp);
    ModelBundle base = ModelBundle.builtin(ModelBundle.DEFAULT);
    int d = base.manifest().dimension();
    BridgeFit fit = new BridgeFit(100, 10, 0.9, 0.8, 0.1);
    registry.publish(base.withVersion("v1", null));
    QueryBridge adapter =
        new QueryBridge(
            "a2",
            "v1",
            BridgeMethod.ADAPTER,
            new ResidualMap(d, 2, new float[2 * d], new float[2], new float[2 * d], new float[d]),
            fit);
    registry.publish(
        base.withVersion("a2", "v1").withFile(QueryBridge.FILE_NAME, adapter.toBytes()));
    float[] identity = new float[d * d];
    for (int i = 0; i < d; i++) {
      identity[i * d + i] = 1;
    }
    QueryBridge bridge =
        new QueryBridge(
            "f2", "v1", BridgeMethod.PROCRUSTES, new LinearMap(d, identity, new float[d]), fit);
    registry.publish(
        base.withVersion("f2", "v1").withFile(QueryBridge.FILE_NAME, bridge.toBytes()));

    assertEquals(Optional.of("v1"), new AdapterDocuments(deciding("a2"), registry).serving());
    assertEquals(
        Optional.of("f2"),
        new AdapterDocuments(deciding("f2"), registry).serving(),
        "a full version's bridge serves only until its own backfill: it is the target itself");
    assertEquals(Optional.of("v1"), new AdapterDocuments(deciding("v1"), registry).serving());
  }
}
