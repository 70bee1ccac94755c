package io.twinstream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Single-precision GEMM rate of an optimised BLAS (OpenBLAS with its AVX-512 kernels, as numpy
 * ships it), measured in a {@code python3} child process on as many threads as the JVM sees cores:
 * a reference for what the machine does, next to the engines Twinstream uses. Nothing of Twinstream
 * runs on it. When {@code python3} or numpy is missing the result is empty.
 */
final class BlasGemm {

  private static final String SCRIPT =
      """
      import json, sys, time
      import numpy as np
      cfg = np.__config__.CONFIG["Build Dependencies"]["blas"]
      out = {"blas": "%s %s" % (cfg.get("name"), cfg.get("version")), "gflops": {}}
      rng = np.random.default_rng(1)
      for shape in sys.argv[1].split(","):
          m, k, n = map(int, shape.split("x"))
          a = rng.random((m, k), dtype=np.float32) - 0.5
          b = rng.random((k, n), dtype=np.float32) - 0.5
          for _ in range(3):
              a @ b
          times = []
          for _ in range(int(sys.argv[2])):
              t = time.perf_counter()
              a @ b
              times.append(time.perf_counter() - t)
          times.sort()
          out["gflops"][shape] = 2.0 * m * k * n / times[len(times) // 2] / 1e9
      print(json.dumps(out))
      """;

  /** What the BLAS is (name and version) and its median GFLOP/s per {@code MxKxN} shape. */
  record Result(String blas, Map<String, Double> gflops) {}

  private BlasGemm() {}

  static Result measure(List<String> shapes, int times) {
    try {
      Path script = Files.createTempFile("gemm", ".py");
      Files.writeString(script, SCRIPT, StandardCharsets.UTF_8);
      String threads = Integer.toString(Runtime.getRuntime().availableProcessors());
      ProcessBuilder pb =
          new ProcessBuilder(
              "python3", script.toString(), String.join(",", shapes), Integer.toString(times));
      pb.environment().put("OPENBLAS_NUM_THREADS", threads);
      pb.environment().put("OMP_NUM_THREADS", threads);
      pb.redirectErrorStream(true);
      Process p = pb.start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        System.err.println("numpy GEMM not measured: " + output.strip());
        return new Result("not available", Map.of());
      }
      Files.deleteIfExists(script);
      String[] lines = output.strip().split("\n");
      JsonNode json = new ObjectMapper().readTree(lines[lines.length - 1]);
      Map<String, Double> gflops = new LinkedHashMap<>();
      json.get("gflops")
          .fields()
          .forEachRemaining(e -> gflops.put(e.getKey(), e.getValue().asDouble()));
      return new Result("numpy " + json.get("blas").asText(), gflops);
    } catch (IOException e) {
      System.err.println("numpy GEMM not measured: " + e.getMessage());
      return new Result("not available", Map.of());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result("not available", Map.of());
    }
  }
}
