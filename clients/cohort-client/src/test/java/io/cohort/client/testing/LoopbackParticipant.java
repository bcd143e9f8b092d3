package io.cohort.client.testing;

import com.sun.net.httpserver.HttpServer;
import io.cohort.client.participant.BranchHandler;
import io.cohort.client.participant.BranchRequest;
import io.cohort.client.participant.JdkHttpBranchHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * A participant service on loopback for the SDK's end-to-end tests: each path runs a {@link BranchHandler} through
 * the SDK's own JDK HTTP adapter, and every call is recorded (path, branch parameters, headers, body, time).
 * Paths without a handler answer success.
 */
public final class LoopbackParticipant implements AutoCloseable {
  /** One recorded call. */
  public record Call(String path, String gid, String transType, String branchId, String op, String body,
      Map<String, List<String>> headers, Map<String, List<String>> query, Instant at) {
    public String header(String name) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
          return e.getValue().get(0);
        }
      }
      return null;
    }
  }

  private final HttpServer server;
  private final Map<String, BranchHandler> handlers = new ConcurrentHashMap<>();
  private final List<Call> calls = new CopyOnWriteArrayList<>();

  private LoopbackParticipant() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      new JdkHttpBranchHandler(r -> dispatch(path, r)).handle(exchange);
    });
    server.start();
  }

  public static LoopbackParticipant start() {
    try {
      return new LoopbackParticipant();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private Object dispatch(String path, BranchRequest r) throws Exception {
    calls.add(new Call(path, r.gid(), r.transType(), r.branchId(), r.op(), r.bodyAsString(), r.headers(), r.query(),
        Instant.now()));
    BranchHandler h = handlers.get(path);
    return h == null ? null : h.handle(r);
  }

  /** Sets the handler for {@code path} (such as {@code /withdraw}). */
  public LoopbackParticipant on(String path, BranchHandler handler) {
    handlers.put(path, handler);
    return this;
  }

  /** The absolute URL of {@code path}. */
  public String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  public List<Call> calls() {
    return new ArrayList<>(calls);
  }

  public List<Call> calls(Predicate<Call> filter) {
    return calls.stream().filter(filter).toList();
  }

  public List<Call> callsTo(String path) {
    return calls(c -> c.path().equals(path));
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
