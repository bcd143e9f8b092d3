package io.cohort.server.api;

import static io.cohort.server.api.Api.assertError;
import static io.cohort.server.api.Api.assertSuccess;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.server.support.TestCoordinator;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input is refused with a 4xx whose message names the problem, stores nothing, and leaves the server serving.
 * Each case runs against a fresh coordinator, so "stores nothing" is checked with {@code all} being empty.
 */
class BadInputTest {
  /** Never called: every request here is refused before anything is stored. */
  static final String URL = "http://127.0.0.1:9/never";
  static final String STEP = "{\"action\":\"" + URL + "\",\"compensate\":\"" + URL + "\"}";

  TestCoordinator dtm;

  @BeforeEach
  void start() throws Exception {
    dtm = TestCoordinator.inMemory();
  }

  @AfterEach
  void stop() {
    if (dtm != null) {
      dtm.close();
    }
  }

  private static String saga(String gid, String extra) {
    return "{\"gid\":\"" + gid + "\",\"trans_type\":\"saga\",\"steps\":[" + STEP + "," + STEP + "]" + extra + "}";
  }

  private static String sagaOrders(String gid, String orders) {
    return saga(gid, ",\"custom_data\":\"{\\\"concurrent\\\":true,\\\"orders\\\":" + orders.replace("\"", "\\\"")
        + "}\"");
  }

  private static Arguments bad(String name, String endpoint, String body, int status, String message) {
    return Arguments.argumentSet(name, endpoint, body, status, message);
  }

  static Stream<Arguments> badRequests() {
    return Stream.of(
        bad("malformed JSON", "submit", "{\"gid\":\"bad-json\",\"trans_type\":\"saga\",", 400, "malformed JSON"),
        bad("trailing garbage", "submit", saga("bad-trailing", "") + "}", 400, "malformed JSON"),
        bad("NaN", "submit", saga("bad-nan", ",\"retry_limit\":NaN"), 400, "malformed JSON"),
        bad("empty body", "submit", "", 400, "request body is empty"),
        bad("body an array", "submit", "[" + saga("bad-array", "") + "]", 400, "must be a JSON object"),
        bad("body a string", "prepare", "\"gid\"", 400, "must be a JSON object"),
        bad("body a number", "submit", "42", 400, "must be a JSON object"),
        bad("body null", "submit", "null", 400, "must be a JSON object"),
        bad("gid a number", "submit", "{\"gid\":42,\"trans_type\":\"saga\",\"steps\":[" + STEP + "]}", 400,
            "gid must be a string, got a number"),
        bad("wait_result a string", "submit", saga("bad-wait", ",\"wait_result\":\"true\""), 400,
            "wait_result must be true or false, got a string"),
        bad("timeout_to_fail a string", "submit", saga("bad-ttf", ",\"timeout_to_fail\":\"5\""), 400,
            "timeout_to_fail (seconds) must be an integer, got a string"),
        bad("timeout_to_fail a fraction", "submit", saga("bad-ttf-frac", ",\"timeout_to_fail\":1.5"), 400,
            "timeout_to_fail (seconds) must be an integer, got a number"),
        bad("timeout_to_fail negative", "submit", saga("bad-ttf-neg", ",\"timeout_to_fail\":-1"), 400,
            "timeout_to_fail (seconds) must not be negative"),
        bad("request_timeout huge", "submit", saga("bad-rt-huge", ",\"request_timeout\":99999999999999"), 400,
            "request_timeout is too large"),
        bad("retry_interval an object", "submit", saga("bad-ri", ",\"retry_interval\":{}"), 400,
            "retry_interval (seconds) must be an integer, got an object"),
        bad("steps an object", "submit", "{\"gid\":\"bad-steps\",\"trans_type\":\"saga\",\"steps\":" + STEP + "}",
            400, "steps must be an array"),
        bad("a step a string", "submit", "{\"gid\":\"bad-step\",\"trans_type\":\"saga\",\"steps\":[\"" + URL + "\"]}",
            400, "steps[0] must be an object"),
        bad("a step URL a number", "submit",
            "{\"gid\":\"bad-step-url\",\"trans_type\":\"saga\",\"steps\":[{\"action\":1,\"compensate\":\"\"}]}", 400,
            "steps[0].action must be a string"),
        bad("payloads with a number", "submit", saga("bad-payload", ",\"payloads\":[\"{}\",7]"), 400,
            "payloads[1] must be a string"),
        bad("payloads a string", "submit", saga("bad-payloads", ",\"payloads\":\"{}\""), 400,
            "payloads must be an array"),
        bad("branch_headers with a number", "submit", saga("bad-headers", ",\"branch_headers\":{\"X-A\":1}"), 400,
            "branch_headers.X-A must be a string"),
        bad("branch_headers with a newline", "submit",
            saga("bad-header-nl", ",\"branch_headers\":{\"X-A\":\"a\\r\\nX-Injected: 1\"}"), 400,
            "control character"),
        bad("branch_headers an array", "submit", saga("bad-headers-arr", ",\"branch_headers\":[]"), 400,
            "branch_headers must be an object"),
        bad("custom_data a number", "submit", saga("bad-custom", ",\"custom_data\":5"), 400,
            "custom_data must be a string holding JSON, got a number"),
        bad("custom_data not JSON", "submit", saga("bad-custom-json", ",\"custom_data\":\"{concurrent\""), 400,
            "custom_data is not valid JSON"),
        bad("custom_data an array", "submit", saga("bad-custom-arr", ",\"custom_data\":\"[1]\""), 400,
            "custom_data must hold a JSON object"),
        bad("custom_data too long", "submit", saga("bad-custom-long",
            ",\"custom_data\":\"{\\\"x\\\":\\\"" + "y".repeat(1100) + "\\\"}\""), 400,
            "custom_data is longer than 1024 characters"),
        bad("concurrent a string", "submit", saga("bad-concurrent", ",\"custom_data\":\"{\\\"concurrent\\\":\\\"yes\\\"}\""),
            400, "custom_data.concurrent must be true or false"),
        bad("msg delay negative", "submit", "{\"gid\":\"bad-delay\",\"trans_type\":\"msg\",\"steps\":[{\"action\":\""
            + URL + "\"}],\"custom_data\":\"{\\\"delay\\\":-3}\"}", 400, "custom_data.delay must not be negative"),
        bad("missing gid", "submit", "{\"trans_type\":\"saga\",\"steps\":[" + STEP + "]}", 400, "gid is required"),
        bad("empty gid", "submit", saga("", ""), 400, "gid is required"),
        bad("gid null", "prepare", "{\"gid\":null,\"trans_type\":\"msg\",\"query_prepared\":\"" + URL + "\"}", 400,
            "gid is required"),
        bad("gid of 129 characters", "submit", saga("g".repeat(129), ""), 400,
            "gid is 129 characters long; the limit is 128"),
        bad("gid with a control character", "submit", saga("bad\\u0001gid", ""), 400,
            "gid contains a forbidden character (code 1)"),
        bad("gid with a newline", "submit", saga("bad\\ngid", ""), 400, "gid contains a forbidden character (code 10)"),
        bad("gid with a semicolon", "submit", saga("bad;gid", ""), 400, "gid contains a forbidden character (code 59)"),
        bad("missing trans_type", "submit", "{\"gid\":\"bad-no-type\",\"steps\":[" + STEP + "]}", 400,
            "trans_type is required"),
        bad("unknown trans_type", "submit", "{\"gid\":\"bad-type\",\"trans_type\":\"sagaa\",\"steps\":[" + STEP + "]}",
            400, "unknown trans_type 'sagaa'"),
        bad("tcc with saga steps", "submit",
            "{\"gid\":\"bad-tcc\",\"trans_type\":\"tcc\",\"steps\":[" + STEP + "]}", 400,
            "a tcc transaction takes no steps or payloads"),
        bad("saga with no steps", "submit", "{\"gid\":\"bad-no-steps\",\"trans_type\":\"saga\",\"steps\":[]}", 400,
            "a saga needs at least one step"),
        bad("saga without a steps field", "submit", "{\"gid\":\"bad-no-steps2\",\"trans_type\":\"saga\"}", 400,
            "a saga needs at least one step"),
        bad("prepare of a saga", "prepare", saga("bad-prepare-saga", ""), 400, "prepare is for msg, tcc and xa transactions"),
        bad("payload count not matching", "submit", saga("bad-count", ",\"payloads\":[\"{}\"]"), 400,
            "payloads has 1 entries but steps has 2"),
        bad("ftp action", "submit", "{\"gid\":\"bad-ftp\",\"trans_type\":\"saga\",\"steps\":[{\"action\":"
            + "\"ftp://127.0.0.1/x\",\"compensate\":\"\"}]}", 400,
            "steps[0].action must be an http:// or https:// URL, got 'ftp://127.0.0.1/x'"),
        bad("URL without scheme", "submit", "{\"gid\":\"bad-noscheme\",\"trans_type\":\"saga\",\"steps\":[{\"action\":"
            + "\"" + URL + "\",\"compensate\":\"localhost:80/x\"}]}", 400,
            "steps[0].compensate must be an http:// or https:// URL, got 'localhost:80/x'"),
        bad("relative URL", "submit", "{\"gid\":\"bad-relative\",\"trans_type\":\"saga\",\"steps\":[{\"action\":"
            + "\"/api/x\",\"compensate\":\"\"}]}", 400, "steps[0].action must be an http:// or https:// URL"),
        bad("URL without host", "submit", "{\"gid\":\"bad-nohost\",\"trans_type\":\"saga\",\"steps\":[{\"action\":"
            + "\"http:///x\",\"compensate\":\"\"}]}", 400, "steps[0].action has no host"),
        bad("URL with a space", "submit", "{\"gid\":\"bad-space\",\"trans_type\":\"saga\",\"steps\":[{\"action\":"
            + "\"http://exa mple/x\",\"compensate\":\"\"}]}", 400, "steps[0].action is not a valid URL"),
        bad("topic URL", "submit", "{\"gid\":\"bad-topic\",\"trans_type\":\"msg\",\"steps\":[{\"action\":"
            + "\"topic://orders\"}]}", 400, "steps[0].action: topic 'orders' has no subscribers"),
        bad("grpc query_prepared", "prepare", "{\"gid\":\"bad-qp\",\"trans_type\":\"msg\",\"steps\":[{\"action\":\""
            + URL + "\"}],\"query_prepared\":\"localhost:58081/busi.Busi/QueryPrepared\"}", 400,
            "query_prepared must be an http:// or https:// URL"),
        bad("URL too long", "submit", "{\"gid\":\"bad-long-url\",\"trans_type\":\"saga\",\"steps\":[{\"action\":"
            + "\"http://h/" + "x".repeat(1020) + "\",\"compensate\":\"\"}]}", 400,
            "steps[0].action is longer than 1024 characters"),
        bad("cycle in orders", "submit", sagaOrders("bad-cycle", "{\"0\":[1],\"1\":[0]}"), 400,
            "custom_data.orders has a cycle"),
        bad("self dependency in orders", "submit", sagaOrders("bad-self", "{\"1\":[1]}"), 400,
            "custom_data.orders has a cycle"),
        bad("out-of-range dependency in orders", "submit", sagaOrders("bad-dep-range", "{\"1\":[7]}"), 400,
            "custom_data.orders[1] names step 7 but there are 2 steps"),
        bad("out-of-range step in orders", "submit", sagaOrders("bad-step-range", "{\"2\":[0]}"), 400,
            "custom_data.orders names step 2 but there are 2 steps"),
        bad("negative index in orders", "submit", sagaOrders("bad-neg-range", "{\"1\":[-1]}"), 400,
            "custom_data.orders[1] names step -1"),
        bad("non-numeric key in orders", "submit", sagaOrders("bad-key", "{\"two\":[0]}"), 400,
            "custom_data.orders key 'two' is not a step index"),
        bad("orders an array", "submit", sagaOrders("bad-orders-arr", "[[0]]"), 400,
            "custom_data.orders must be an object"),
        bad("negative retry_limit", "submit", saga("bad-retry-limit", ",\"retry_limit\":-1"), 400,
            "retry_limit must not be negative"),
        bad("unsupported protocol grpc", "submit", saga("bad-grpc", ",\"protocol\":\"grpc\""), 400,
            "protocol 'grpc' is not supported"),
        bad("unsupported protocol json-rpc", "submit", saga("bad-jsonrpc", ",\"protocol\":\"json-rpc\""), 400,
            "protocol 'json-rpc' is not supported"),
        bad("msg prepare without query_prepared", "prepare",
            "{\"gid\":\"bad-no-qp\",\"trans_type\":\"msg\",\"steps\":[{\"action\":\"" + URL + "\"}]}", 400,
            "query_prepared is required"));
  }

  @ParameterizedTest
  @MethodSource("badRequests")
  void isRefusedNamingTheProblemStoresNothingAndTheServerKeepsServing(String endpoint, String body, int status,
      String message) {
    var a = dtm.post("/api/dtmsvr/" + endpoint, body);
    assertError(a, status, message);
    assertThat(a.json().get("code").asText()).isEqualTo("BAD_REQUEST");
    // nothing stored
    var all = dtm.get("/api/dtmsvr/all");
    assertThat(all.status()).isEqualTo(200);
    assertThat(all.json().get("transactions")).as(all.text()).isEmpty();
    // still serving
    assertThat(dtm.get("/api/ping").json().get("msg").asText()).isEqualTo("pong");
    assertSuccess(Api.submit(dtm, Tx.saga("after-bad-input").step("", "").waitResult()));
  }

  @Test
  void badInputNeverDisturbsAnExistingTransaction() {
    assertSuccess(Api.submit(dtm, Tx.saga("existing").step("", "").waitResult()));
    var before = Api.query(dtm, "existing");
    // same gid, invalid body: refused before the store is touched
    assertError(dtm.post("/api/dtmsvr/submit", saga("existing", ",\"retry_limit\":-1")), 400, "retry_limit");
    assertError(dtm.post("/api/dtmsvr/prepare", "{\"gid\":\"existing\",\"trans_type\":\"msg\"}"), 400,
        "query_prepared is required");
    assertThat(Api.query(dtm, "existing")).isEqualTo(before);
  }

  @Test
  void bodiesOverTheLimitAre413AndStoreNothing() throws Exception {
    dtm.close();
    dtm = TestCoordinator.inMemory(Map.of("http.max-body", "1KiB"));
    String big = saga("too-big", ",\"padding\":\"" + "x".repeat(1100) + "\"");
    assertThat(big.length()).isGreaterThan(1024);
    var a = dtm.post("/api/dtmsvr/submit", big);
    assertError(a, 413, "the limit is 1024");
    assertThat(a.json().get("code").asText()).isEqualTo("PAYLOAD_TOO_LARGE");
    // without a Content-Length (chunked), the limit holds while reading
    var chunked = dtm.request("POST", "/api/dtmsvr/submit", HttpRequest.BodyPublishers.ofInputStream(
        () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))));
    assertError(chunked, 413, "larger than the limit of 1024 bytes");
    assertThat(dtm.query("too-big")).isNull();
    assertThat(dtm.get("/api/dtmsvr/all").json().get("transactions")).isEmpty();
    // still serving, and a body just under the limit is fine
    assertThat(dtm.get("/api/ping").status()).isEqualTo(200);
    String small = Tx.saga("small-enough").step("", "").waitResult().json();
    String padded = small.substring(0, small.length() - 1) + ",\"p\":\"" + "x".repeat(1024 - small.length() - 7) + "\"}";
    assertThat(padded.length()).isEqualTo(1024);
    assertSuccess(dtm.post("/api/dtmsvr/submit", padded));
  }
}
