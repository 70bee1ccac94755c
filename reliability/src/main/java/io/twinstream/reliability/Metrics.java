package io.twinstream.reliability;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The job's Prometheus endpoint ({@code run --metrics-port}): one metric summed over subtasks. */
final class Metrics {

  private final HttpClient http = HttpClient.newHttpClient();
  private final URI uri;

  Metrics(int port) {
    this.uri = URI.create("http://localhost:" + port + "/metrics");
  }

  /** The sum of {@code name} over every series (operator subtasks), 0 if there is none yet. */
  double sum(String name) throws IOException, InterruptedException {
    String text =
        http.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Matcher m =
        Pattern.compile("(?m)^\\S*_" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$").matcher(text);
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(2));
    }
    return sum;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
