package io.cohort.server.api;

import static io.cohort.server.api.Api.assertError;
import static io.cohort.server.api.Api.assertFailure;
import static io.cohort.server.api.Api.assertNoVerdictWords;
import static io.cohort.server.api.Api.assertSuccess;
import static io.cohort.server.api.Api.awaitStatus;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.server.support.CoordinatorTest;
import io.cohort.server.support.Participant;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The response envelope DTM clients rely on (reference 1.1 and 10, items 1 to 5). */
class EnvelopeTest extends CoordinatorTest {
  @Test
  void pingAnswersPongToAnyMethod() {
    for (String method : new String[] {"GET", "POST", "PUT", "HEAD"}) {
      var a = dtm.request(method, "/api/ping", null);
      assertThat(a.status()).as(method).isEqualTo(200);
      if (!method.equals("HEAD")) {
        assertThat(a.json().toString()).as(method).isEqualTo("{\"msg\":\"pong\"}");
      }
    }
  }

  @Test
  void newGidIsA22CharacterStringWithSuccessAndUniqueOverManyCalls() {
    Set<String> gids = new HashSet<>();
    for (int i = 0; i < 500; i++) {
      var a = dtm.get("/api/dtmsvr/newGid");
      assertSuccess(a);
      // The Go SDK decodes into map[string]string: every value must be a JSON string.
      assertThat(a.json().get("gid").isTextual()).isTrue();
      assertThat(a.json().get("dtm_result").isTextual()).isTrue();
      assertThat(a.json().size()).isEqualTo(2);
      String gid = a.json().get("gid").asText();
      assertThat(gid).hasSize(22).matches("[0-9A-Za-z]{22}");
      gids.add(gid);
    }
    assertThat(gids).hasSize(500);
  }

  @Test
  void newGidIsUsableAsATransactionGid() {
    String gid = dtm.get("/api/dtmsvr/newGid").json().get("gid").asText();
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step(rm.url("/a"), rm.url("/ar")).waitResult()));
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/a GET 01 action");
  }

  @Test
  void versionNamesCohortAndTheDtmVersionItSpeaks() {
    var a = dtm.get("/api/dtmsvr/version");
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.json().get("version").isTextual()).isTrue();
    assertThat(a.json().get("version").asText()).isNotEmpty();
    assertThat(a.json().get("dtm_compatible").asText()).isEqualTo("v1.19.0");
    assertNoVerdictWords(a);
  }

  @Test
  void unknownEndpointsAre404WithAMessage() {
    assertError(dtm.get("/api/dtmsvr/noSuchThing"), 404, "no such endpoint: /api/dtmsvr/noSuchThing");
    assertError(dtm.post("/api/dtmsvr/noSuchThing", "{}"), 404, "no such endpoint");
    assertError(dtm.get("/nowhere"), 404, "no such endpoint: /nowhere");
    assertError(dtm.get("/api/dtmsvr/"), 404, "no such endpoint");
    // still serving
    assertThat(dtm.get("/api/ping").status()).isEqualTo(200);
  }

  @Test
  void incompleteRequestsToTheTccXaWorkflowAndAdminEndpointsNameWhatIsMissing() {
    String[][] cases = {
        {"registerBranch", "trans_type is required"},
        {"registerTccBranch", "trans_type is required"},
        {"registerXaBranch", "trans_type is required"},
        {"prepareWorkflow", "prepareWorkflow is for trans_type workflow"},
        {"subscribe", "topic is required"},
        {"unsubscribe", "topic is required"},
        {"scanKV", "cat is required"},
        {"queryKV", "cat is required"}};
    for (String[] c : cases) {
      var a = dtm.post("/api/dtmsvr/" + c[0], "{\"gid\":\"g\"}");
      assertError(a, 400, c[1]);
    }
    assertThat(Api.query(dtm, "g").get("transaction").isNull()).isTrue();
    assertThat(dtm.get("/api/ping").status()).isEqualTo(200);
  }

  @Test
  void successBodiesOfEveryCommandCarryNoVerdictWords() {
    String gid = "env-success";
    rm.on("/a", Participant.Reply.ongoing()); // the participant's own answers must not leak into ours
    var submit = Api.submit(dtm, Tx.saga(gid).step(rm.url("/a"), rm.url("/ar")).put("retry_interval", 60));
    assertSuccess(submit);
    Api.eventually().until(() -> rm.calls(gid).size() == 1);
    assertSuccess(dtm.post("/api/dtmsvr/resetNextCronTime", "{\"gid\":\"" + gid + "\"}"));
    assertSuccess(dtm.post("/api/dtmsvr/forceStop", "{\"gid\":\"" + gid + "\"}"));

    var prepare = Api.prepare(dtm, Tx.msg("env-msg").step(rm.url("/m")).queryPrepared(rm.url("/qp")));
    assertSuccess(prepare);
    assertSuccess(dtm.post("/api/dtmsvr/abort", "{\"gid\":\"env-msg\",\"trans_type\":\"msg\"}"));

    assertSuccess(Api.submit(dtm, Tx.saga("env-ok").step("", "").waitResult()));
    awaitStatus(dtm, "env-ok", "succeed");
    assertNoVerdictWords(dtm.get("/api/dtmsvr/query?gid=env-ok"));
    assertNoVerdictWords(dtm.get("/api/dtmsvr/query?gid=unknown-gid"));
    assertNoVerdictWords(dtm.get("/api/dtmsvr/all?status=succeed"));
    assertNoVerdictWords(dtm.get("/api/dtmsvr/newGid"));
    assertNoVerdictWords(dtm.get("/api/ping"));
  }

  @Test
  void conflictsAre409WithDtmResultFailure() {
    assertSuccess(Api.submit(dtm, Tx.saga("env-409").step("", "").waitResult()));
    var again = Api.submit(dtm, Tx.saga("env-409").step("", ""));
    assertFailure(again, "current status 'succeed', cannot submit");
    assertThat(again.text()).contains("FAILURE");
    assertFailure(dtm.post("/api/dtmsvr/abort", "{\"gid\":\"env-409\",\"trans_type\":\"saga\"}"), "cannot be aborted");
    assertFailure(dtm.post("/api/dtmsvr/forceStop", "{\"gid\":\"env-409\"}"), "cannot force stop");
  }

  @Test
  void ongoingIs425WithDtmResultOngoing() {
    rm.on("/a", Participant.Reply.ongoing());
    assertSuccess(Api.submit(dtm, Tx.saga("env-425").step(rm.url("/a"), rm.url("/ar"))));
    var a = dtm.get("/api/dtmsvr/wait?gid=env-425&timeout_ms=200");
    assertThat(a.status()).as(a.text()).isEqualTo(425);
    assertThat(a.json().get("dtm_result").asText()).isEqualTo("ONGOING");
    assertThat(a.json().get("message").asText()).contains("not final after 200 ms");
    assertThat(a.text()).doesNotContain("\"dtm_result\":\"SUCCESS\"");
  }

  /**
   * Regression: endpoints that ignore the request body (unknown and unsupported endpoints, query, forceStop with the gid
   * in the query string) answered before the body had been read; Jetty then closed the connection after the answer,
   * and a client that had already sent its next request on that keep-alive connection got no answer at all ("header
   * parser received no bytes", about one request in two thousand in a loop). Here the body is sent only after the
   * headers, so the old behaviour fails every time.
   */
  @Test
  void aBodyTheEndpointIgnoresNoLongerCostsTheKeepAliveConnection() throws Exception {
    for (String path : new String[] {"/api/dtmsvr/registerBranch", "/api/dtmsvr/nope", "/api/dtmsvr/query?gid=x",
        "/nowhere", "/api/ping"}) {
      try (Socket socket = new Socket("127.0.0.1", dtm.server().port())) {
        socket.setSoTimeout(20_000);
        OutputStream out = socket.getOutputStream();
        String body = "{\"gid\":\"g\"}";
        out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + body.length() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        // give a server that answers without the body the time to do so (a correct one answers nothing yet)
        StringBuilder answers = new StringBuilder();
        socket.setSoTimeout(300);
        try {
          readUntil(socket.getInputStream(), answers, "}");
        } catch (SocketTimeoutException expected) {
          // the server waits for the body
        }
        socket.setSoTimeout(20_000);
        out.write(body.getBytes(StandardCharsets.US_ASCII));
        out.write("GET /api/dtmsvr/version HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        readUntil(socket.getInputStream(), answers, "dtm_compatible");
        assertThat(answers.toString()).as(path).startsWith("HTTP/1.1 ").contains("\"dtm_compatible\"");
        assertThat(answers.toString().split("HTTP/1.1 ", -1)).as(path).hasSize(3); // two answers on the one connection
      }
    }
  }

  /** Reads into {@code sb} until {@code marker} has been seen, or the server closes the connection. */
  private static void readUntil(InputStream in, StringBuilder sb, String marker) throws Exception {
    byte[] buf = new byte[4096];
    int n;
    while (sb.indexOf(marker) < 0 && (n = in.read(buf)) > 0) {
      sb.append(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
  }

  @Test
  void errorBodiesAreJsonWithAMessageAndACode() {
    var a = dtm.request("POST", "/api/dtmsvr/submit", HttpRequest.BodyPublishers.ofString("not json"));
    assertError(a, 400, "malformed JSON");
    assertThat(a.json().get("code").asText()).isEqualTo("BAD_REQUEST");
  }
}
