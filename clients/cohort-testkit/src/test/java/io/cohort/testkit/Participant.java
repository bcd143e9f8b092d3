package io.cohort.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A participant service on loopback, built on the JDK's HTTP server: it records every branch call the coordinator
 * makes and answers 200 SUCCESS, unless a test scripted other status codes for a path.
 */
final class Participant implements AutoCloseable {

  /** One call received from the coordinator. */
  record Call(String path, String method, String gid, String branchId, String op, String body) {
    /** {@code "/a1 01 action"}: enough to assert order and shape. */
    String brief() {
      return path + " " + branchId + " " + op;
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final Map<String, Deque<Integer>> scripts = new ConcurrentHashMap<>();

  Participant() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  /** The next calls to {@code path} get these status codes, one each, in order; later calls get 200. */
  Participant answer(String path, int... statuses) {
    Deque<Integer> queue = scripts.computeIfAbsent(path, p -> new ArrayDeque<>());
    synchronized (queue) {
      for (int s : statuses) {
        queue.addLast(s);
      }
    }
    return this;
  }

  List<Call> calls() {
    return List.copyOf(calls);
  }

  /** How many calls {@code path} has received so far. */
  int count(String path) {
    return (int) calls.stream().filter(c -> c.path().equals(path)).count();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
      String path = exchange.getRequestURI().getPath();
      calls.add(new Call(path, exchange.getRequestMethod(), query.get("gid"), query.get("branch_id"), query.get("op"),
          body));
      int status = next(path);
      byte[] answer = (status == 200 ? "{\"dtm_result\":\"SUCCESS\"}" : "{\"message\":\"scripted " + status + "\"}")
          .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, answer.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    }
  }

  private int next(String path) {
    Deque<Integer> queue = scripts.get(path);
    if (queue == null) {
      return 200;
    }
    synchronized (queue) {
      Integer s = queue.pollFirst();
      return s == null ? 200 : s;
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.close();
  }
}
