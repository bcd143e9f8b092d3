package io.cohort.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * A stand-in coordinator on loopback: answers {@code submit} with SUCCESS, except every {@code failEvery}-th call
 * (409 FAILURE), remembers the gids it acknowledged, and answers {@code query} for them as succeed.
 */
final class FakeCoordinator implements AutoCloseable {
  private final Server server = new Server();
  private final ObjectMapper json = new ObjectMapper();
  final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  final AtomicLong submits = new AtomicLong();
  volatile JsonNode lastBody;

  FakeCoordinator(int failEvery) throws Exception {
    ServerConnector c = new ServerConnector(server);
    c.setHost("127.0.0.1");
    server.addConnector(c);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        switch (path) {
          case "/api/ping" -> write(response, callback, 200, "{\"msg\":\"pong\"}");
          case "/api/dtmsvr/submit" -> {
            JsonNode body = json.readTree(Content.Source.asString(request, StandardCharsets.UTF_8));
            lastBody = body;
            long n = submits.incrementAndGet();
            if (failEvery > 0 && n % failEvery == 0) {
              write(response, callback, 409, "{\"dtm_result\":\"FAILURE\",\"message\":\"scripted failure\"}");
            } else {
              acknowledged.add(body.path("gid").asText());
              write(response, callback, 200, "{\"dtm_result\":\"SUCCESS\"}");
            }
          }
          case "/api/dtmsvr/query" -> {
            String gid = Request.extractQueryParameters(request).getValue("gid");
            write(response, callback, 200, acknowledged.contains(gid)
                ? "{\"transaction\":{\"gid\":\"" + gid + "\",\"status\":\"succeed\"},\"branches\":["
                    + "{\"branch_id\":\"01\",\"op\":\"compensate\",\"status\":\"prepared\"},"
                    + "{\"branch_id\":\"01\",\"op\":\"action\",\"status\":\"succeed\"}]}"
                : "{\"transaction\":null,\"branches\":[]}");
          }
          default -> write(response, callback, 404, "{}");
        }
        return true;
      }
    });
    server.start();
  }

  private static void write(Response response, Callback callback, int status, String body) {
    response.setStatus(status);
    response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
  }

  String url() {
    return "http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }
}
