package io.cohort.server.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohort.core.port.TransactionStore;
import io.cohort.server.CohortServer;
import io.cohort.server.config.ServerConfig;
import io.cohort.store.tck.InMemoryTransactionStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A coordinator started in-process for tests, on an ephemeral port, with short intervals so retries happen within
 * a test's patience, plus a small HTTP client to drive it the way a DTM SDK does.
 */
public final class TestCoordinator implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final CohortServer server;
  private final HttpClient http = HttpClient.newHttpClient();

  /** What a call to the coordinator returned. */
  public record Answer(int status, String text, JsonNode json) {}

  private TestCoordinator(CohortServer server) {
    this.server = server;
  }

  /** Fast defaults for tests; {@code overrides} are config keys such as {@code engine.retry-interval}. */
  public static Map<String, String> fastConfig(Map<String, String> overrides) {
    Map<String, String> flags = new HashMap<>();
    flags.put("http.host", "127.0.0.1");
    flags.put("http.port", "0");
    flags.put("engine.retry-interval", "200ms");
    flags.put("engine.max-retry-interval", "1s");
    flags.put("engine.timeout-to-fail", "2s");
    flags.put("engine.lease-margin", "2s");
    flags.put("scheduler.poll-interval", "50ms");
    flags.put("shutdown.grace", "1s");
    flags.putAll(overrides);
    return flags;
  }

  /** On the in-memory reference store. */
  public static TestCoordinator inMemory(Map<String, String> overrides) throws Exception {
    ServerConfig config = ServerConfig.load(null, Map.of(), fastConfig(overrides));
    TransactionStore store = new InMemoryTransactionStore();
    return new TestCoordinator(CohortServer.start(config, store, CohortServer.systemClock()));
  }

  public static TestCoordinator inMemory() throws Exception {
    return inMemory(Map.of());
  }

  /** On the embedded durable store in {@code dir}. */
  public static TestCoordinator embedded(Path dir, Map<String, String> overrides) throws Exception {
    Map<String, String> flags = new HashMap<>(fastConfig(overrides));
    flags.put("store.embedded.dir", dir.toString());
    return new TestCoordinator(CohortServer.start(ServerConfig.load(null, Map.of(), flags)));
  }

  public CohortServer server() {
    return server;
  }

  public String base() {
    return "http://127.0.0.1:" + server.port();
  }

  public Answer post(String path, String body) {
    return send(HttpRequest.newBuilder(URI.create(base() + path)).POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  public Answer get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base() + path)).GET());
  }

  /**
   * Any request: {@code method} with {@code body} (no body when null) and extra headers given as name, value pairs,
   * for tests of what the API accepts (any Content-Type, chunked bodies, other methods).
   */
  public Answer request(String method, String path, HttpRequest.BodyPublisher body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  /** {@code query?gid=}: the transaction's JSON, or null when unknown. */
  public JsonNode query(String gid) {
    JsonNode t = get("/api/dtmsvr/query?gid=" + java.net.URLEncoder.encode(gid, java.nio.charset.StandardCharsets.UTF_8))
        .json().get("transaction");
    return t == null || t.isNull() ? null : t;
  }

  public String status(String gid) {
    JsonNode t = query(gid);
    return t == null ? null : t.get("status").asText();
  }

  private Answer send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
      JsonNode n = null;
      try {
        n = r.body().isEmpty() ? null : JSON.readTree(r.body());
      } catch (IOException e) {
        n = null;
      }
      return new Answer(r.statusCode(), r.body(), n);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    http.shutdownNow(); // drop idle keep-alive connections, or the server's graceful stop waits for them
    server.close();
  }
}
