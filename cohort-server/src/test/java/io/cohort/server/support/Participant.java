package io.cohort.server.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A real HTTP participant on loopback (the JDK's HTTP server) for end-to-end tests. It records every call and
 * answers from a script: per path, a function of the call (how many times this gid/branch/op was seen, etc.).
 */
public final class Participant implements AutoCloseable {

  /** One received call. */
  public record Call(String path, String method, String gid, String transType, String branchId, String op,
      String body, Map<String, String> headers, long atNanos) {}

  /** What to answer: status, body, and an optional delay before answering. */
  public record Reply(int status, String body, long delayMillis) {
    public static Reply ok() {
      return new Reply(200, "{\"dtm_result\":\"SUCCESS\"}", 0);
    }

    public static Reply failure() {
      return new Reply(409, "{\"dtm_result\":\"FAILURE\",\"message\":\"business failure\"}", 0);
    }

    public static Reply ongoing() {
      return new Reply(425, "{\"dtm_result\":\"ONGOING\"}", 0);
    }

    public static Reply error() {
      return new Reply(500, "{\"message\":\"boom\"}", 0);
    }

    public Reply after(long millis) {
      return new Reply(status, body, millis);
    }
  }

  private final HttpServer server;
  private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
  private final Map<String, Function<Call, Reply>> script = new ConcurrentHashMap<>();
  private final Map<String, Integer> seen = new ConcurrentHashMap<>();
  private volatile Consumer<Call> afterReply = c -> {};

  public Participant() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", this::handle);
    server.start();
  }

  /** The base URL, e.g. {@code http://127.0.0.1:1234}. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public String url(String path) {
    return url() + path;
  }

  /** Answers calls to {@code path} with {@code reply}. Unscripted paths answer 200 SUCCESS. */
  public Participant on(String path, Function<Call, Reply> reply) {
    script.put(path, reply);
    return this;
  }

  public Participant on(String path, Reply reply) {
    return on(path, c -> reply);
  }

  /**
   * Runs {@code listener} on the handling thread right after a reply was sent and the exchange closed (not when the
   * caller had gone away). Crash tests use it to kill the coordinator between a participant's answer and the
   * coordinator recording it.
   */
  public Participant afterReply(Consumer<Call> listener) {
    this.afterReply = listener;
    return this;
  }

  /** How many calls so far had this gid, branch id and op (counting the current one while answering). */
  public int count(String gid, String branchId, String op) {
    return seen.getOrDefault(gid + "/" + branchId + "/" + op, 0);
  }

  public List<Call> calls() {
    return new ArrayList<>(calls);
  }

  public List<Call> calls(String gid) {
    return calls.stream().filter(c -> gid.equals(c.gid())).toList();
  }

  private void handle(HttpExchange ex) throws IOException {
    Call call;
    try (ex) {
      URI uri = ex.getRequestURI();
      Map<String, String> q = query(uri.getRawQuery());
      Map<String, String> headers = new HashMap<>();
      ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      call = new Call(uri.getPath(), ex.getRequestMethod(), q.get("gid"), q.get("trans_type"), q.get("branch_id"),
          q.get("op"), body, headers, System.nanoTime());
      seen.merge(call.gid() + "/" + call.branchId() + "/" + call.op(), 1, Integer::sum);
      calls.add(call);
      Reply r = script.getOrDefault(uri.getPath(), c -> Reply.ok()).apply(call);
      if (r.delayMillis() > 0) {
        try {
          Thread.sleep(r.delayMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      byte[] out = r.body().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(r.status(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        ex.getResponseBody().write(out);
      }
    } catch (IOException e) {
      // the coordinator gave up (timeout): nothing to answer
      return;
    }
    afterReply.accept(call);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> m = new HashMap<>();
    if (raw == null) {
      return m;
    }
    for (String kv : raw.split("&")) {
      int i = kv.indexOf('=');
      String k = i < 0 ? kv : kv.substring(0, i);
      String v = i < 0 ? "" : kv.substring(i + 1);
      m.put(java.net.URLDecoder.decode(k, StandardCharsets.UTF_8), java.net.URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return m;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
