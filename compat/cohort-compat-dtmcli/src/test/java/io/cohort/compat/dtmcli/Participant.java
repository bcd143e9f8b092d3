package io.cohort.compat.dtmcli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A participant service (a resource manager in DTM's words): a real HTTP server on a loopback ephemeral port that
 * records every call it receives, whoever makes it (the SDK for TCC tries, the coordinator for everything else), and
 * answers with a scripted reply per path.
 *
 * <p>Several participants share one {@link Log}, so a test can assert the order of calls across services (TCC confirms
 * run last-registered first, saga compensations in reverse step order).
 */
final class Participant implements AutoCloseable {
  /** One call as the participant saw it; {@code gid}, {@code transType}, {@code branchId}, {@code op} are query params. */
  record Call(String service, String method, String path, String gid, String transType, String branchId, String op,
      String body, Map<String, String> headers) {
    /** A compact, order-sensitive summary used in assertions: {@code service method path op branch_id trans_type}. */
    String brief() {
      return service + " " + method + " " + path + " " + op + " " + branchId + " " + transType;
    }
  }

  /** What a participant answers. */
  record Reply(int status, String body) {
    static final Reply SUCCESS = new Reply(200, "{\"dtm_result\":\"SUCCESS\"}");
    static final Reply FAILURE = new Reply(409, "{\"dtm_result\":\"FAILURE\"}");
  }

  /** Calls received by a group of participants, in arrival order. */
  static final class Log {
    private final List<Call> calls = new CopyOnWriteArrayList<>();

    List<Call> calls() {
      return List.copyOf(calls);
    }

    List<Call> forGid(String gid) {
      return calls.stream().filter(c -> gid.equals(c.gid())).toList();
    }

    List<String> briefs(String gid) {
      return forGid(gid).stream().map(Call::brief).toList();
    }
  }

  private final String name;
  private final Log log;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final Map<String, Reply> replies = new ConcurrentHashMap<>();

  private Participant(String name, Log log) throws IOException {
    this.name = name;
    this.log = log;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  static Participant start(String name, Log log) throws IOException {
    return new Participant(name, log);
  }

  /** Absolute URL of {@code path} on this participant, as registered with the coordinator. */
  String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  /** Answers {@code reply} to every later call on {@code path} (the default is {@link Reply#SUCCESS}). */
  Participant answer(String path, Reply reply) {
    replies.put(path, reply);
    return this;
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      Map<String, String> q = query(ex.getRequestURI().getRawQuery());
      Map<String, String> headers = new HashMap<>();
      ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
      String path = ex.getRequestURI().getPath();
      // Recorded before answering: once the caller has seen the reply, the call is in the log.
      log.calls.add(new Call(name, ex.getRequestMethod(), path, q.get("gid"), q.get("trans_type"), q.get("branch_id"),
          q.get("op"), body, Map.copyOf(headers)));
      Reply reply = replies.getOrDefault(path, Reply.SUCCESS);
      byte[] out = reply.body().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(reply.status(), out.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(out);
      }
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      q.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return q;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
