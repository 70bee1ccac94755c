package io.twinstream.store;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * What a container test does without a Docker engine: skips on a developer's machine, fails in CI
 * ({@code CI=true}), where {@code .ci/run} starts one ({@code deploy/containers/engine.sh start}) —
 * so a container test never passes by not running. Register it before {@code @Testcontainers}
 * (annotation order), which starts the containers:
 * {@code @ExtendWith(DockerEngine.class) @Testcontainers}.
 */
public final class DockerEngine implements ExecutionCondition, BeforeAllCallback {

  private static boolean inCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  private static boolean available() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) { // e.g. an image Testcontainers needs first cannot be pulled
      return false;
    }
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (inCi() || available()) {
      return ConditionEvaluationResult.enabled("a Docker engine runs, or CI=true requires one");
    }
    return ConditionEvaluationResult.disabled(
        "no Docker engine (deploy/containers/engine.sh start runs one); in CI this fails");
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    if (!available()) {
      throw new IllegalStateException(
          "CI=true and no Docker engine answers: "
              + context.getDisplayName()
              + " must run in CI. Start one with deploy/containers/engine.sh start, and build the"
              + " images it uses with deploy/containers/engine.sh images");
    }
  }
}
