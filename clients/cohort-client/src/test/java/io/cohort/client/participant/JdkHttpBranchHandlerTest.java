package io.cohort.client.participant;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.cohort.client.barrier.BranchFailedException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The JDK adapter over loopback, called the way the coordinator calls a branch (reference 2.1). */
class JdkHttpBranchHandlerTest {
  private static HttpServer server;
  private static String base;
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final AtomicReference<BranchRequest> SEEN = new AtomicReference<>();

  @BeforeAll
  static void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/branch", new JdkHttpBranchHandler(req -> {
      SEEN.set(req);
      switch (req.bodyAsString()) {
        case "\"fail\"":
          throw new BranchFailedException("insufficient FAILURE-free balance, ONGOING never");
        case "\"later\"":
          throw new BranchOngoingException("waiting");
        case "\"boom\"":
          throw new IllegalStateException("db said FAILURE");
        case "\"error\"":
          throw new AssertionError("a bug");
        default:
          return "FAILURE ONGOING"; // a return value is never written
      }
    }));
    server.createContext("/query_prepared", new JdkHttpBranchHandler(BranchHandler.checkBack(gid -> gid.equals("ok"))));
    server.start();
    base = "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
  }

  @AfterAll
  static void stop() {
    server.stop(0);
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-type", "application/json")
        .header("X-Tenant", "t1")
        .timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String reading(HttpResponse<String> r) {
    return BranchResponseTest.dtmReading(r.statusCode(), r.body());
  }

  private static final String QUERY = "?tenant=x&gid=g-1&trans_type=saga&branch_id=01&op=action";

  @Test
  void aPostWithBodyAndQueryReachesTheHandlerAndSucceeds() throws Exception {
    HttpResponse<String> r = post("/branch" + QUERY, "{\"amount\":30}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    assertThat(reading(r)).isEqualTo("SUCCESS");
    BranchRequest seen = SEEN.get();
    assertThat(seen.gid()).isEqualTo("g-1");
    assertThat(seen.transType()).isEqualTo("saga");
    assertThat(seen.branchId()).isEqualTo("01");
    assertThat(seen.op()).isEqualTo("action");
    assertThat(seen.queryParam("tenant")).isEqualTo("x");
    assertThat(seen.header("x-tenant")).isEqualTo("t1");
    assertThat(seen.header("content-type")).isEqualTo("application/json");
    assertThat(seen.bodyAsString()).isEqualTo("{\"amount\":30}");
  }

  @Test
  void eachOutcomeGivesItsStatusAndTheBodyAgrees() throws Exception {
    HttpResponse<String> failed = post("/branch" + QUERY, "\"fail\"");
    assertThat(failed.statusCode()).isEqualTo(409);
    assertThat(failed.body()).startsWith("{\"dtm_result\":\"FAILURE\",\"message\":").doesNotContain("ONGOING");
    assertThat(reading(failed)).isEqualTo("FAILURE");

    HttpResponse<String> later = post("/branch" + QUERY, "\"later\"");
    assertThat(later.statusCode()).isEqualTo(425);
    assertThat(later.body()).isEqualTo("{\"dtm_result\":\"ONGOING\",\"message\":\"waiting\"}");
    assertThat(reading(later)).isEqualTo("ONGOING");

    HttpResponse<String> boom = post("/branch" + QUERY, "\"boom\"");
    assertThat(boom.statusCode()).isEqualTo(500);
    assertThat(boom.body()).isEqualTo("{\"message\":\"db said failure\"}");
    assertThat(reading(boom)).isEqualTo("ERROR");
  }

  @Test
  void aMissingParameterIs400() throws Exception {
    HttpResponse<String> r = post("/branch?gid=g-1&trans_type=saga&op=action", "{}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("\"parameter\":\"branch_id\"");
    assertThat(reading(r)).isEqualTo("ERROR");
  }

  @Test
  void anErrorClosesTheExchangeAndTheServerKeepsServing() throws Exception {
    try {
      HttpResponse<String> r = post("/branch" + QUERY, "\"error\"");
      assertThat(r.statusCode()).isNotIn(200, 409, 425); // whatever the server makes of it, not a DTM result
    } catch (java.io.IOException expected) {
      // the connection was closed without an answer: a transport error, retried by the coordinator
    }
    assertThat(post("/branch" + QUERY, "{}").statusCode()).isEqualTo(200);
  }

  @Test
  void theMsgCheckBackIsAGet() throws Exception {
    HttpResponse<String> committed = get("/query_prepared?gid=ok&trans_type=msg&branch_id=00&op=msg");
    assertThat(committed.statusCode()).isEqualTo(200);
    assertThat(reading(committed)).isEqualTo("SUCCESS");
    HttpResponse<String> rolledBack = get("/query_prepared?gid=no&trans_type=msg&branch_id=00&op=msg");
    assertThat(rolledBack.statusCode()).isEqualTo(409);
    assertThat(reading(rolledBack)).isEqualTo("FAILURE");
  }
}
