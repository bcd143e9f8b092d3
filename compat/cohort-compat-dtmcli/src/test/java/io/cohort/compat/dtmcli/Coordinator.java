package io.cohort.compat.dtmcli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohort.server.CohortServer;
import io.cohort.server.config.ServerConfig;
import io.cohort.store.tck.InMemoryTransactionStore;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * A real Cohort coordinator started in-process on the in-memory reference store, on an ephemeral loopback port, with
 * intervals short enough that a retry or a scheduler pass happens within a test's patience.
 *
 * <p>The SDK is handed {@link #endpoint()} ({@code host:port}) exactly as a DTM user would hand it a DTM server; the
 * test reads the outcome back the way an operator would, through {@code GET /api/dtmsvr/query}.
 */
final class Coordinator implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final CohortServer server;
  private final HttpClient http = HttpClient.newHttpClient();

  private Coordinator(CohortServer server) {
    this.server = server;
  }

  static Coordinator start() throws Exception {
    Map<String, String> flags = Map.of(
        "http.host", "127.0.0.1",
        "http.port", "0",
        "engine.retry-interval", "200ms",
        "engine.max-retry-interval", "1s",
        "engine.timeout-to-fail", "5s",
        "engine.lease-margin", "2s",
        "scheduler.poll-interval", "50ms",
        // The SDK's Feign client (HttpURLConnection) keeps its connections to the coordinator alive and cannot be
        // told to close them, so a graceful stop always waits out the whole grace: keep it short.
        "shutdown.grace", "200ms");
    ServerConfig config = ServerConfig.load(null, Map.of(), flags);
    return new Coordinator(CohortServer.start(config, new InMemoryTransactionStore(), CohortServer.systemClock()));
  }

  /** What dtmcli-java's {@code new DtmClient(endpoint)} takes: {@code host:port}, no scheme, no base path. */
  String endpoint() {
    return "127.0.0.1:" + server.port();
  }

  /** {@code GET /api/dtmsvr/query?gid=}: the whole answer ({@code transaction} and {@code branches}). */
  JsonNode query(String gid) {
    URI uri = URI.create("http://" + endpoint() + "/api/dtmsvr/query?gid="
        + URLEncoder.encode(gid, StandardCharsets.UTF_8));
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("query " + gid + " answered " + r.statusCode() + ": " + r.body());
      }
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The global status ({@code prepared}, {@code submitted}, {@code aborting}, {@code succeed}, {@code failed}), or null. */
  String status(String gid) {
    JsonNode t = query(gid).get("transaction");
    return t == null || t.isNull() ? null : t.get("status").asText();
  }

  @Override
  public void close() {
    http.shutdownNow(); // drop idle keep-alive connections, or the server's graceful stop waits for them
    server.close();
  }
}
