package io.cohort.client.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.cohort.client.internal.HttpCoordinator;
import io.cohort.client.participant.BranchHandler;
import io.cohort.client.participant.JdkHttpBranchHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The service side of the workflow tests: a JDK HTTP server on loopback whose {@code /resume} path runs a resume
 * handler through the SDK's {@link JdkHttpBranchHandler}, recording the status of every answer. Also reads the
 * coordinator's raw {@code query} answer, for the fields {@code TransactionInfo} leaves out (result, bin_data).
 */
final class ResumeEndpoint implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<Integer> answers = new CopyOnWriteArrayList<>();
  private volatile BranchHandler handler = r -> null;

  ResumeEndpoint() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(executor);
    server.createContext("/resume", exchange -> {
      new JdkHttpBranchHandler(handler).handle(exchange);
      answers.add(exchange.getResponseCode());
    });
    server.start();
  }

  /** Mounts {@code h} at {@code /resume}. */
  void mount(BranchHandler h) {
    this.handler = h;
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/resume";
  }

  /** The HTTP statuses of the answers given so far, in order. */
  List<Integer> answers() {
    return List.copyOf(answers);
  }

  /** Calls the resume URL as the coordinator would; returns the status. */
  int call(String query, byte[] body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + "?" + query));
    b = body.length == 0 ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofByteArray(body));
    return send(b.build()).statusCode();
  }

  /** The coordinator's {@code query} answer for {@code gid}, as JSON. */
  JsonNode query(String coordinatorBase, String gid) {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(coordinatorBase + "/query?gid=" + gid)).build());
    try {
      return HttpCoordinator.JSON.readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
