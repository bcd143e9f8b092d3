package io.cohort.client.participant;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.cohort.client.barrier.InvalidBranchException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * A branch endpoint on the JDK's built-in HTTP server ({@code com.sun.net.httpserver}, module
 * {@code jdk.httpserver}):
 *
 * <pre>{@code
 * server.createContext("/api/transIn", new JdkHttpBranchHandler(req -> { ...; return null; }));
 * }</pre>
 *
 * <p>Reads the query string, headers and body into a {@link BranchRequest}, calls the {@link BranchHandler} and writes
 * the {@link BranchResponse}. Any method is accepted (the coordinator uses POST with a payload, GET without). The
 * exchange is always closed, even when the handler throws an {@link Error} (which then propagates to the server and
 * the coordinator sees a broken call, retried with backoff).
 */
public final class JdkHttpBranchHandler implements HttpHandler {
  private final BranchHandler handler;

  public JdkHttpBranchHandler(BranchHandler handler) {
    this.handler = Objects.requireNonNull(handler, "handler");
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      BranchResponse response;
      try {
        BranchRequest request =
            BranchRequest.fromQueryString(exchange.getRequestURI().getRawQuery(), exchange.getRequestHeaders(), body);
        response = handler.respond(request);
      } catch (InvalidBranchException e) {
        response = BranchResponse.forException(e);
      }
      byte[] bytes = response.bodyBytes();
      exchange.getResponseHeaders().set("Content-Type", response.contentType());
      exchange.sendResponseHeaders(response.status(), bytes.length == 0 ? -1 : bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }
}
