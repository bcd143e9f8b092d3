package io.cohort.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.cohort.server.support.CoordinatorTest;
import io.cohort.server.support.Participant;
import io.cohort.server.support.Participant.Reply;
import io.cohort.server.support.TestCoordinator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests byte for byte as the Go, Python, Node, Java and C# DTM SDKs send them (files under
 * {@code sdk-fixtures/}, each citing the SDK source it was read from), replayed raw against a real coordinator with a
 * real loopback participant. Checks that each is accepted and handled as DTM handles it (reference 1, 2 and 10), and
 * that Cohort's answers parse the way those SDKs parse them.
 */
class SdkFixturesTest extends CoordinatorTest {

  /** Protojson and strict clients refuse a repeated key, so Cohort's answers are read with duplicate detection on. */
  private static final ObjectMapper STRICT = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final Pattern SNAKE_CASE = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");

  // ---------------------------------------------------------------------------------------------------------------
  // Fixture files

  /** One request of a fixture: method, path and the raw body text (placeholders not yet replaced). */
  record Request(String method, String path, String body) {
    Request withPath(String other) {
      return new Request(method, other, body);
    }
  }

  /** A request as sent and what the coordinator answered. */
  record Exchange(Request request, TestCoordinator.Answer answer) {}

  /** Reads {@code sdk-fixtures/<name>.txt}: comment lines, then {@code ### METHOD /path} lines each followed by a body. */
  static List<Request> fixture(String name) {
    String text;
    try (InputStream in = SdkFixturesTest.class.getResourceAsStream("/sdk-fixtures/" + name + ".txt")) {
      assertThat(in).as("fixture " + name).isNotNull();
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Request> requests = new ArrayList<>();
    String method = null;
    String path = null;
    StringBuilder body = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      if (line.startsWith("### ")) {
        if (method != null) {
          requests.add(new Request(method, path, body.toString().stripTrailing()));
        }
        String[] head = line.substring(4).trim().split(" ", 2);
        method = head[0];
        path = head[1].trim();
        body.setLength(0);
      } else if (method != null) {
        body.append(line).append('\n');
      }
    }
    if (method != null) {
      requests.add(new Request(method, path, body.toString().stripTrailing()));
    }
    assertThat(requests).as("requests in fixture " + name).isNotEmpty();
    return requests;
  }

  private String fill(String s, String gid) {
    return s.replace("${gid}", gid).replace("${rm}", rm.url());
  }

  private TestCoordinator.Answer send(Request r, String gid) {
    String body = fill(r.body(), gid);
    return dtm.request(r.method(), fill(r.path(), gid),
        body.isEmpty() ? null : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
  }

  /** Sends every request of the fixture in order, as the SDK would, and returns what came back. */
  private List<Exchange> replay(String name, String gid) {
    List<Exchange> out = new ArrayList<>();
    for (Request r : fixture(name)) {
      out.add(new Exchange(r, send(r, gid)));
    }
    return out;
  }

  private static String gidFor(String fixture) {
    return "sdk-" + fixture.replace('/', '-');
  }

  // ---------------------------------------------------------------------------------------------------------------
  // How the SDKs judge and parse Cohort's answers

  /**
   * What every SDK demands of a coordinator answer (reference 1.1): HTTP 200 and no {@code FAILURE} in the text (Go,
   * Node, Python, C#); {@code dtm_result == "SUCCESS"} (Java, for prepare/registerBranch/newGid); and no
   * {@code ONGOING} either, which branch-result parsers would misread.
   */
  private static void assertSdkAccepts(Exchange e) {
    String what = e.request().method() + " " + e.request().path() + " -> " + e.answer().status() + " "
        + e.answer().text();
    assertThat(e.answer().status()).as(what).isEqualTo(200);
    assertThat(e.answer().text()).as(what).doesNotContain("FAILURE").doesNotContain("ONGOING");
    JsonNode json = strict(e.answer().text());
    assertThat(json.isObject()).as(what).isTrue();
    if (!e.request().path().endsWith("/prepareWorkflow")) {
      assertThat(json.path("dtm_result").asText()).as(what).isEqualTo("SUCCESS");
    }
  }

  /** A refusal the SDKs recognise as FAILURE: 409 (Python: DTMFailureError), FAILURE in the body (Go, Node, C#). */
  private static void assertRefusedWithFailure(SoftAssertions soft, String what, TestCoordinator.Answer a) {
    soft.assertThat(a.status()).as(what + ": " + a.text()).isEqualTo(409);
    soft.assertThat(a.text()).as(what).contains("FAILURE");
    soft.assertThat(a.json() == null ? null : a.json().path("dtm_result").asText()).as(what + ": " + a.text())
        .isEqualTo("FAILURE");
  }

  private static JsonNode strict(String text) {
    try {
      return STRICT.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON a strict parser accepts: " + e.getMessage() + "\n" + text, e);
    }
  }

  private static void assertNoNullAnywhere(JsonNode node, String path) {
    assertThat(node.isNull()).as("JSON null at " + path + " (C# maps several fields to non-nullable types)").isFalse();
    if (node.isObject()) {
      node.fields().forEachRemaining(f -> assertNoNullAnywhere(f.getValue(), path + "/" + f.getKey()));
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        assertNoNullAnywhere(node.get(i), path + "/" + i);
      }
    }
  }

  private static byte[] base64(JsonNode value, String where) {
    assertThat(value.isTextual()).as(where + " is a base64 string: " + value).isTrue();
    String s = value.asText();
    try {
      return (s.indexOf('-') >= 0 || s.indexOf('_') >= 0 ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(s);
    } catch (IllegalArgumentException e) {
      throw new AssertionError(where + " is not base64: " + s, e);
    }
  }

  private static void assertTextual(JsonNode obj, String where, String... fields) {
    for (String f : fields) {
      if (obj.has(f)) {
        assertThat(obj.get(f).isTextual()).as(where + "." + f + " is a JSON string: " + obj.get(f)).isTrue();
      }
    }
  }

  /**
   * {@code query} as its readers parse it (reference 1.3): the C# SDK's {@code TransGlobal} (System.Text.Json, typed:
   * int ids, DateTimeOffset times that must not be null, bool concurrent, string options, steps and payloads), the
   * admin UI and test harnesses: snake_case keys, RFC3339 times, base64 bin_data, no JSON null anywhere.
   */
  private static JsonNode assertQueryAsSdksParseIt(TestCoordinator.Answer a) {
    assertThat(a.status()).as(a.text()).isEqualTo(200);
    JsonNode q = strict(a.text());
    assertVerdictWordsOnlyInQuotedErrors(q);
    assertNoNullAnywhere(q, "");
    JsonNode t = q.get("transaction");
    assertThat(t.isObject()).as("transaction").isTrue();
    assertThat(q.get("branches").isArray()).as("branches").isTrue();
    assertRecordShape(t, "transaction");
    if (t.has("next_cron_interval")) {
      assertThat(t.get("next_cron_interval").isIntegralNumber()).as("next_cron_interval (C# int)").isTrue();
    }
    if (t.has("concurrent")) {
      assertThat(t.get("concurrent").isBoolean()).as("concurrent (C# bool)").isTrue();
    }
    assertTextual(t, "transaction", "gid", "trans_type", "status", "protocol", "options", "custom_data",
        "query_prepared", "result", "rollback_reason");
    if (t.has("steps")) {
      for (JsonNode step : t.get("steps")) {
        assertThat(step.isObject()).as("steps[] are objects").isTrue();
        step.fields().forEachRemaining(f -> assertThat(f.getValue().isTextual()).as("steps[]." + f.getKey()).isTrue());
      }
    }
    if (t.has("payloads")) {
      t.get("payloads").forEach(p -> assertThat(p.isTextual()).as("payloads[] are strings").isTrue());
    }
    for (JsonNode b : q.get("branches")) {
      assertRecordShape(b, "branch");
      assertTextual(b, "branch", "gid", "url", "branch_id", "op", "status");
      if (b.has("bin_data")) {
        base64(b.get("bin_data"), "branch.bin_data");
      }
    }
    return q;
  }

  /**
   * A query answer is judged by substring too (C# {@code Query} runs {@code CheckStatus}: FAILURE anywhere throws).
   * DTM itself quotes a failed branch's answer in {@code rollback_reason} (ErrorMessage2Error: the body text plus
   * " FAILURE"), so those quoted error texts ({@code rollback_reason}, and Cohort's per-branch {@code last_error}) may
   * carry the word; nothing else may.
   */
  private static void assertVerdictWordsOnlyInQuotedErrors(JsonNode q) {
    JsonNode copy = q.deepCopy();
    if (copy.get("transaction") instanceof com.fasterxml.jackson.databind.node.ObjectNode t) {
      t.remove("rollback_reason");
    }
    for (JsonNode b : copy.path("branches")) {
      if (b instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
        o.remove("last_error");
      }
    }
    assertThat(copy.toString()).doesNotContain("FAILURE").doesNotContain("ONGOING");
  }

  /** Keys are snake_case, times are RFC3339 with an offset, ids are JSON integers (C# {@code int Id}). */
  private static void assertRecordShape(JsonNode obj, String where) {
    for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> f = it.next();
      assertThat(f.getKey()).as(where + " key").matches(SNAKE_CASE);
      if (f.getKey().endsWith("_time")) {
        assertThat(f.getValue().isTextual()).as(where + "." + f.getKey() + " is a string").isTrue();
        assertThatCode(() -> OffsetDateTime.parse(f.getValue().asText()))
            .as(where + "." + f.getKey() + " is RFC3339: " + f.getValue()).doesNotThrowAnyException();
      }
    }
    if (obj.has("id")) {
      assertThat(obj.get("id").isIntegralNumber() && obj.get("id").canConvertToInt())
          .as(where + ".id is a JSON integer (C# int): " + obj.get("id")).isTrue();
    }
  }

  /** One {@code DtmProgress} as protojson decodes it. */
  record Progress(String branchId, String op, String status, byte[] binData) {
    String brief() {
      return branchId + " " + op + " " + status + " " + new String(binData, StandardCharsets.UTF_8);
    }
  }

  /** {@code DtmProgressesReply} as protojson decodes it: the transaction's four fields and the progresses. */
  record ProgressesReply(String gid, String status, String rollbackReason, String result, List<Progress> progresses) {}

  /**
   * Parses a prepareWorkflow answer the way the Go workflow client does ({@code protojson.Unmarshal} with
   * DiscardUnknown into {@code dtmgpb.DtmProgressesReply}) and the C# client does (System.Text.Json into
   * {@code DtmProgressesReplyDto}, exact names): every known field must have its proto type (string fields are JSON
   * strings, bytes are base64), a field may not appear twice (also not under its lowerCamel alias), unknown fields are
   * skipped.
   */
  private static ProgressesReply parseAsProtojson(TestCoordinator.Answer a) {
    assertThat(a.status()).as(a.text()).isEqualTo(200);
    assertThat(a.text()).doesNotContain("FAILURE").doesNotContain("ONGOING");
    JsonNode root = strict(a.text());
    assertThat(root.isObject()).isTrue();
    assertThat(root.has("transaction") && root.has("Transaction")).as("one name per field").isFalse();
    JsonNode t = root.path("transaction");
    assertThat(t.isObject()).as("transaction is a DtmTransaction message: " + t).isTrue();
    assertTextual(t, "transaction", "gid", "status", "rollback_reason", "result");
    assertThat(t.has("rollback_reason") && t.has("rollbackReason")).as("one name per field").isFalse();
    List<Progress> progresses = new ArrayList<>();
    JsonNode ps = root.path("progresses");
    if (!ps.isMissingNode()) {
      assertThat(ps.isArray()).as("progresses is a repeated DtmProgress: " + ps).isTrue();
      for (JsonNode p : ps) {
        assertThat(p.isObject()).as("progress: " + p).isTrue();
        assertTextual(p, "progress", "status", "branch_id", "op");
        assertThat(p.has("branch_id") && p.has("branchId")).as("one name per field").isFalse();
        assertThat(p.has("bin_data") && p.has("binData")).as("one name per field").isFalse();
        byte[] bin = p.has("bin_data") ? base64(p.get("bin_data"), "progress.bin_data") : new byte[0];
        progresses.add(new Progress(p.path("branch_id").asText(""), p.path("op").asText(""),
            p.path("status").asText(""), bin));
      }
    }
    return new ProgressesReply(t.path("gid").asText(""), t.path("status").asText(""),
        t.path("rollback_reason").asText(""), t.path("result").asText(""), progresses);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Saga, msg, TCC and XA fixtures, data-driven

  /**
   * A fixture, how the participant answers (per path), the final status DTM reaches, the participant calls DTM makes
   * ("METHOD path branch_id op body", in order; all with the fixture's gid and trans_type) and query fields to check
   * (JSON pointer to text, {@code ${rm}} replaced).
   */
  record Case(String fixture, String transType, Map<String, Reply> script, String finalStatus, List<String> calls,
      Map<String, String> query) {
    @Override
    public String toString() {
      return fixture + (script.isEmpty() ? "" : " with " + script.keySet() + " failing") + " -> " + finalStatus;
    }
  }

  private static final String GO_30 = "{\"amount\":30}";
  private static final String PY_30 = "{\"amount\": 30}";

  static Stream<Case> cases() {
    return Stream.of(
        // Go
        new Case("go/saga-submit", "saga", Map.of(), "succeed", List.of(
            "POST /api/busi/TransOut 01 action " + GO_30,
            "POST /api/busi/TransIn 02 action " + GO_30), Map.of()),
        new Case("go/saga-submit", "saga", Map.of("/api/busi/TransIn", Reply.failure()), "failed", List.of(
            "POST /api/busi/TransOut 01 action " + GO_30,
            "POST /api/busi/TransIn 02 action " + GO_30,
            "POST /api/busi/TransInCompensate 02 compensate " + GO_30,
            "POST /api/busi/TransOutCompensate 01 compensate " + GO_30), Map.of()),
        new Case("go/saga-concurrent-wait", "saga", Map.of(), "succeed", List.of(
            "POST /api/busi/TransOut 01 action " + GO_30,
            "POST /api/busi/TransIn 02 action " + GO_30), Map.of()),
        new Case("go/saga-legacy-step-data", "saga", Map.of(), "succeed", List.of(
            "POST /api/busi/TransOut 01 action " + GO_30,
            "POST /api/busi/TransIn 02 action " + GO_30), Map.of()),
        new Case("go/msg-prepare-submit", "msg", Map.of(), "succeed", List.of(
            "POST /api/busi/TransOut 01 action " + GO_30,
            "POST /api/busi/TransIn 02 action " + GO_30),
            Map.of("/transaction/query_prepared", "${rm}/api/busi/QueryPrepared")),
        new Case("go/msg-prepare-only", "msg", Map.of(), "succeed", List.of(
            "GET /api/busi/QueryPrepared 00 msg",
            "POST /api/busi/TransIn 01 action " + GO_30), Map.of()),
        new Case("go/tcc-submit", "tcc", Map.of(), "succeed", List.of(
            "POST /api/busi/TransInConfirm 02 confirm " + GO_30,
            "POST /api/busi/TransOutConfirm 01 confirm " + GO_30), Map.of("/transaction/timeout_to_fail", "60")),
        new Case("go/tcc-abort", "tcc", Map.of(), "failed", List.of(
            "POST /api/busi/TransInRevert 02 cancel " + GO_30,
            "POST /api/busi/TransOutRevert 01 cancel " + GO_30),
            Map.of("/transaction/rollback_reason", "insufficient balance")),
        new Case("go/tcc-legacy-register-tcc-branch", "tcc", Map.of(), "succeed", List.of(
            "POST /api/busi/TransOutConfirm 01 confirm " + GO_30), Map.of()),
        new Case("go/xa-submit", "xa", Map.of(), "succeed", List.of(
            "POST /api/busi/xa 01 commit",
            "POST /api/busi/xa 02 commit"), Map.of()),
        new Case("go/xa-abort", "xa", Map.of(), "failed", List.of(
            "POST /api/busi/xa 01 rollback"), Map.of()),
        // Python
        new Case("python/saga-submit", "saga", Map.of(), "succeed", List.of(
            "POST /api/TransOut 01 action " + PY_30,
            "POST /api/TransIn 02 action " + PY_30), Map.of()),
        new Case("python/msg-prepare-submit", "msg", Map.of(), "succeed", List.of(
            "POST /api/TransIn 01 action " + PY_30), Map.of("/transaction/query_prepared", "${rm}/api/QueryPrepared")),
        new Case("python/tcc-submit", "tcc", Map.of(), "succeed", List.of(
            "POST /api/TransInConfirm 02 confirm " + PY_30,
            "POST /api/TransOutConfirm 01 confirm " + PY_30), Map.of()),
        new Case("python/tcc-legacy-abort", "tcc", Map.of(), "failed", List.of(
            "POST /api/TransInRevert 02 cancel " + PY_30,
            "POST /api/TransOutRevert 01 cancel " + PY_30), Map.of()),
        // Node
        new Case("node/saga-submit", "saga", Map.of(), "succeed", List.of(
            "POST /api/TransOut 01 action " + GO_30,
            "POST /api/TransIn 02 action " + GO_30), Map.of()),
        new Case("node/tcc-submit", "tcc", Map.of(), "succeed", List.of(
            "POST /api/TransInConfirm 02 confirm " + GO_30,
            "POST /api/TransOutConfirm 01 confirm " + GO_30), Map.of()),
        // Java
        new Case("java/saga-submit", "saga", Map.of(), "succeed", List.of(
            "POST /api/TransOut 01 action {\"amount\":30,\"userId\":1}",
            "POST /api/TransIn 02 action {\"amount\":30,\"userId\":2}"), Map.of()),
        new Case("java/saga-submit-feign", "saga", Map.of(), "succeed", List.of(
            "POST /api/TransOut 01 action {\"amount\":30,\"userId\":1}",
            "POST /api/TransIn 02 action {\"amount\":30,\"userId\":2}"), Map.of()),
        new Case("java/tcc-submit", "tcc", Map.of(), "succeed", List.of(
            "POST /api/TransInConfirm 02 confirm {\"amount\":30,\"userId\":2}",
            "POST /api/TransOutConfirm 01 confirm {\"amount\":30,\"userId\":1}"), Map.of()),
        new Case("java/tcc-submit-feign", "tcc", Map.of(), "succeed", List.of(
            "POST /api/TransOutConfirm 01 confirm {\"amount\":30,\"userId\":1}"), Map.of()),
        // C#
        new Case("csharp/saga-submit", "saga", Map.of(), "succeed", List.of(
            "POST /api/TransOut 01 action " + GO_30,
            "POST /api/TransIn 02 action " + GO_30), Map.of()),
        new Case("csharp/tcc-submit", "tcc", Map.of(), "succeed", List.of(
            "POST /api/TransOutConfirm 01 confirm " + GO_30), Map.of()));
  }

  private static String brief(Participant.Call c) {
    String s = c.method() + " " + c.path() + " " + c.branchId() + " " + c.op();
    return c.body().isEmpty() ? s : s + " " + c.body();
  }

  /** The branch ops DTM stores per type (reference 1.3 registerBranch, 2.1): legacy try URLs leave no row. */
  private static final Map<String, Set<String>> OPS = Map.of("saga", Set.of("action", "compensate"),
      "msg", Set.of("action"), "tcc", Set.of("cancel", "confirm"), "xa", Set.of("rollback", "commit"));

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void sdkRequestsAreAcceptedAndHandledAsDtmHandlesThem(Case c) {
    String gid = gidFor(c.fixture());
    c.script().forEach(rm::on);
    for (Exchange e : replay(c.fixture(), gid)) {
      assertSdkAccepts(e);
    }
    Api.awaitStatus(dtm, gid, c.finalStatus());

    List<Participant.Call> calls = rm.calls(gid);
    assertThat(calls).extracting(SdkFixturesTest::brief).containsExactlyElementsOf(c.calls());
    assertThat(calls).allSatisfy(call -> {
      assertThat(call.gid()).isEqualTo(gid);
      assertThat(call.transType()).isEqualTo(c.transType());
    });

    JsonNode q = assertQueryAsSdksParseIt(dtm.get("/api/dtmsvr/query?gid=" + Api.enc(gid)));
    assertThat(q.at("/transaction/gid").asText()).isEqualTo(gid);
    assertThat(q.at("/transaction/trans_type").asText()).isEqualTo(c.transType());
    c.query().forEach((pointer, expected) ->
        assertThat(q.at(pointer).asText()).as(pointer).isEqualTo(fill(expected, gid)));
    Set<String> ops = new HashSet<>();
    for (JsonNode b : q.get("branches")) {
      ops.add(b.path("op").asText());
      // bin_data is the body the participant receives for that branch and op (base64 of the payload bytes)
      String stored = b.has("bin_data")
          ? new String(base64(b.get("bin_data"), "bin_data"), StandardCharsets.UTF_8) : "";
      for (Participant.Call call : calls) {
        if (call.branchId().equals(b.path("branch_id").asText()) && call.op().equals(b.path("op").asText())) {
          assertThat(stored).as("bin_data of " + b.path("branch_id").asText() + " " + b.path("op").asText())
              .isEqualTo(call.body());
        }
      }
    }
    assertThat(OPS.get(c.transType())).as("ops stored for " + c.transType()).containsAll(ops);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Workflow (Go client over HTTP)

  private static final String WF_INPUT = "{\"amount\":30}";

  /** Any resume call the cron made while the fixture ran is the Go workflow callback (reference 2.7). */
  private void assertOnlyResumeCalls(String gid) {
    assertThat(rm.calls(gid)).allSatisfy(call -> {
      assertThat(brief(call)).isEqualTo("POST /api/workflow/resume 00 wf-transfer " + WF_INPUT);
      assertThat(call.transType()).isEqualTo("workflow");
    });
  }

  @Test
  void goWorkflowThatSucceedsIsRecordedReplayedAndFinished() {
    String gid = gidFor("go/workflow-succeed");
    List<Exchange> ex = replay("go/workflow-succeed", gid);
    ex.forEach(SdkFixturesTest::assertSdkAccepts);

    ProgressesReply first = parseAsProtojson(ex.get(0).answer());
    assertThat(first.gid()).isEqualTo(gid);
    assertThat(first.status()).isEqualTo("prepared");
    assertThat(first.progresses()).isEmpty();

    ProgressesReply resumed = parseAsProtojson(ex.get(3).answer());
    assertThat(resumed.status()).isEqualTo("prepared");
    assertThat(resumed.progresses()).extracting(Progress::brief)
        .containsExactly("01 action succeed {\"balance\":70}", "02 action succeed ");

    ProgressesReply done = parseAsProtojson(ex.get(5).answer());
    assertThat(done.status()).isEqualTo("succeed");
    // the Go client returns base64.StdEncoding.DecodeString(reply.Transaction.Result)
    assertThat(new String(Base64.getDecoder().decode(done.result()), StandardCharsets.UTF_8))
        .isEqualTo("{\"ok\":true}");

    JsonNode q = assertQueryAsSdksParseIt(dtm.get("/api/dtmsvr/query?gid=" + Api.enc(gid)));
    assertThat(q.at("/transaction/status").asText()).isEqualTo("succeed");
    assertThat(q.at("/transaction/trans_type").asText()).isEqualTo("workflow");
    assertThat(q.at("/transaction/query_prepared").asText()).isEqualTo(rm.url("/api/workflow/resume"));
    assertThat(q.get("branches")).extracting(b -> b.path("branch_id").asText() + " " + b.path("op").asText() + " "
        + b.path("status").asText()).containsExactly("01 action succeed", "02 action succeed");
    assertThat(new String(base64(q.at("/branches/0/bin_data"), "bin_data"), StandardCharsets.UTF_8))
        .isEqualTo("{\"balance\":70}");
    assertOnlyResumeCalls(gid);
  }

  @Test
  void goWorkflowThatFailsKeepsTheFailedStepAndTheReason() {
    String gid = gidFor("go/workflow-failed");
    List<Exchange> ex = replay("go/workflow-failed", gid);
    ex.forEach(SdkFixturesTest::assertSdkAccepts);

    ProgressesReply done = parseAsProtojson(ex.get(5).answer());
    assertThat(done.gid()).isEqualTo(gid);
    assertThat(done.status()).isEqualTo("failed");
    assertThat(done.rollbackReason()).isEqualTo("insufficient balance");
    assertThat(done.progresses()).extracting(Progress::brief).containsExactly(
        "01 action succeed {\"balance\":70}", "02 action failed insufficient balance", "01 rollback succeed ");

    JsonNode q = assertQueryAsSdksParseIt(dtm.get("/api/dtmsvr/query?gid=" + Api.enc(gid)));
    assertThat(q.at("/transaction/status").asText()).isEqualTo("failed");
    assertThat(q.at("/transaction/rollback_reason").asText()).isEqualTo("insufficient balance");
    assertOnlyResumeCalls(gid);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // newGid and refusals

  @Test
  void newGidAnswersOnlyStringsAsTheGoAndJavaClientsDecodeIt() {
    Set<String> gids = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      TestCoordinator.Answer a = dtm.get("/api/dtmsvr/newGid");
      assertThat(a.status()).as(a.text()).isEqualTo(200);
      assertThat(a.text()).doesNotContain("FAILURE").doesNotContain("ONGOING");
      JsonNode json = strict(a.text());
      assertThat(json.isObject()).isTrue();
      // Go: json.Unmarshal into map[string]string; any non-string value is a decode error
      json.fields().forEachRemaining(f ->
          assertThat(f.getValue().isTextual()).as(f.getKey() + " is a JSON string: " + f.getValue()).isTrue());
      assertThat(json.path("dtm_result").asText()).isEqualTo("SUCCESS"); // Java FeignUtils.parseGid
      assertThat(json.path("gid").asText()).isNotBlank(); // Go panics on an empty gid, Node throws
      gids.add(json.get("gid").asText());
    }
    assertThat(gids).hasSize(3);
  }

  @Test
  void whatDtmRefusesWithFailureIsA409CarryingFailure() {
    SoftAssertions soft = new SoftAssertions();

    String tcc = gidFor("go/tcc-submit");
    replay("go/tcc-submit", tcc).forEach(SdkFixturesTest::assertSdkAccepts);
    Api.awaitStatus(dtm, tcc, "succeed");
    List<Request> goTcc = fixture("go/tcc-submit");
    // DTM: LockGlobalSaveBranches finds no global in status prepared -> ErrFailure
    assertRefusedWithFailure(soft, "Go registerBranch after the TCC succeeded", send(goTcc.get(1), tcc));
    // DTM: "current status 'succeed', cannot prepare"
    assertRefusedWithFailure(soft, "Go prepare of a succeeded TCC", send(goTcc.get(0), tcc));
    // DTM svcAbort: tcc not in prepared/aborting -> ErrFailure
    assertRefusedWithFailure(soft, "Python abort of a succeeded TCC", send(fixture("python/tcc-submit").get(3)
        .withPath("/api/dtmsvr/abort"), tcc));

    String aborted = gidFor("go/tcc-abort");
    replay("go/tcc-abort", aborted).forEach(SdkFixturesTest::assertSdkAccepts);
    Api.awaitStatus(dtm, aborted, "failed");
    // DTM: "current status 'failed', cannot sumbmit"
    assertRefusedWithFailure(soft, "Go submit of a failed TCC", send(fixture("go/tcc-submit").get(3), aborted));

    String saga = gidFor("go/saga-submit");
    replay("go/saga-submit", saga).forEach(SdkFixturesTest::assertSdkAccepts);
    Api.awaitStatus(dtm, saga, "succeed");
    // DTM svcAbort: a saga can never be aborted -> ErrFailure
    assertRefusedWithFailure(soft, "abort of a saga", send(fixture("go/saga-submit").get(0)
        .withPath("/api/dtmsvr/abort"), saga));

    String wf = gidFor("go/workflow-succeed");
    replay("go/workflow-succeed", wf).forEach(SdkFixturesTest::assertSdkAccepts);
    // DTM: registerBranch needs the workflow still prepared -> ErrFailure
    assertRefusedWithFailure(soft, "Go workflow registerBranch after submit",
        send(fixture("go/workflow-succeed").get(1), wf));
    soft.assertAll();
  }
}
