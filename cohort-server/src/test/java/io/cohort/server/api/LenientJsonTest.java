package io.cohort.server.api;

import static io.cohort.server.api.Api.assertSuccess;
import static io.cohort.server.api.Api.awaitStatus;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.server.support.CoordinatorTest;
import io.cohort.server.support.Participant;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bodies exactly as DTM's SDKs send them (reference 1.2 and 10.2): duplicate keys, nulls, unknown fields, payloads as
 * JSON strings, the legacy {@code steps[].data}, any Content-Type.
 */
class LenientJsonTest extends CoordinatorTest {
  private String u(String path) {
    return rm.url(path);
  }

  @Test
  void javaSdkSagaWithSubTypeTwiceAndNullCustomData() {
    // dtmcli-java serialised with Jackson: "subType" appears twice, custom_data is null, passthrough_headers is [].
    String body = """
        {"subType":"saga","gid":"java-saga","trans_type":"saga","subType":"saga",
         "steps":[{"action":"%1$s/out","compensate":"%1$s/outRevert"},{"action":"%1$s/in","compensate":"%1$s/inRevert"}],
         "payloads":["{\\"amount\\":30,\\"userId\\":1}","{\\"amount\\":30,\\"userId\\":2}"],
         "custom_data":null,"wait_result":true,"timeout_to_fail":0,"retry_interval":0,"request_timeout":0,
         "passthrough_headers":[],"branch_headers":{},"concurrent":false,"orders":{}}"""
        .formatted(rm.url());
    assertSuccess(dtm.post("/api/dtmsvr/submit", body));
    assertThat(rm.calls("java-saga")).extracting(Api::full).containsExactly(
        "/out POST gid=java-saga trans_type=saga branch_id=01 op=action body={\"amount\":30,\"userId\":1}",
        "/in POST gid=java-saga trans_type=saga branch_id=02 op=action body={\"amount\":30,\"userId\":2}");
    JsonNode t = dtm.query("java-saga");
    // zeros mean "not set": none of them shows up as an option
    assertThat(t.has("timeout_to_fail")).isFalse();
    assertThat(t.has("retry_interval")).isFalse();
    assertThat(t.has("request_timeout")).isFalse();
    assertThat(t.has("custom_data")).isFalse();
  }

  @Test
  void pythonSdkMsgWithNullsForStringFields() {
    String body = """
        {"gid":"py-msg","trans_type":"msg","steps":[{"action":"%1$s/in"}],"payloads":["{\\"amount\\":30}"],
         "custom_data":null,"query_prepared":null,"protocol":null,"wait_result":null,"timeout_to_fail":null,
         "branch_headers":null,"retry_interval":null,"passthrough_headers":[]}""".formatted(rm.url());
    assertSuccess(dtm.post("/api/dtmsvr/submit", body));
    awaitStatus(dtm, "py-msg", "succeed");
    assertThat(rm.calls("py-msg")).extracting(Api::full)
        .containsExactly("/in POST gid=py-msg trans_type=msg branch_id=01 op=action body={\"amount\":30}");
    assertThat(dtm.query("py-msg").get("protocol").asText()).isEqualTo("http");
  }

  @Test
  void goSdkBodyWithEveryFieldAtItsZeroValue() {
    String body = """
        {"gid":"go-msg","trans_type":"msg","steps":[{"action":"%1$s/a"},{"action":"%1$s/b"}],
         "payloads":["{\\"amount\\":30}","{\\"amount\\":30}"],"bin_payloads":null,"custom_data":"",
         "query_prepared":"%1$s/qp","protocol":"","wait_result":true,"timeout_to_fail":0,"request_timeout":0,
         "retry_interval":0,"passthrough_headers":null,"branch_headers":null,"concurrent":false,
         "retry_limit":0,"retry_count":0,"rollback_reason":"","ext_data":"","result":"","req_extra":null}"""
        .formatted(rm.url());
    assertSuccess(dtm.post("/api/dtmsvr/prepare", body));
    assertThat(dtm.status("go-msg")).isEqualTo("prepared");
    assertSuccess(dtm.post("/api/dtmsvr/submit", body));
    assertThat(rm.calls("go-msg")).extracting(Api::brief).containsExactly("/a POST 01 action", "/b POST 02 action");
  }

  @Test
  void duplicateKeysAreAllowedAndTheLastOneWins() {
    String body = """
        {"gid":"dup-first","trans_type":"msg","gid":"dup-last","trans_type":"saga","wait_result":false,
         "steps":[{"action":"%1$s/ignored","compensate":"%1$s/c","action":"%1$s/a"}],"wait_result":true}"""
        .formatted(rm.url());
    assertSuccess(dtm.post("/api/dtmsvr/submit", body));
    assertThat(dtm.query("dup-first")).isNull();
    assertThat(dtm.query("dup-last").get("trans_type").asText()).isEqualTo("saga");
    assertThat(dtm.status("dup-last")).isEqualTo("succeed"); // wait_result: true won, so it finished in the call
    assertThat(rm.calls("dup-last")).extracting(Api::brief).containsExactly("/a GET 01 action");
  }

  @Test
  void unknownFieldsOfAnyShapeAreIgnored() {
    String body = """
        {"gid":"unknown-fields","trans_type":"saga","future_option":{"nested":[1,{"x":null}]},"flag":true,
         "n":1e300,"list":[null],"steps":[{"action":"%1$s/a","compensate":"%1$s/c","weight":3}],"wait_result":true}"""
        .formatted(rm.url());
    assertSuccess(dtm.post("/api/dtmsvr/submit", body));
    assertThat(rm.calls("unknown-fields")).extracting(Api::brief).containsExactly("/a GET 01 action");
  }

  @Test
  void passthroughHeadersAreAcceptedAndIgnored() {
    Tx tx = Tx.saga("passthrough").step(u("/a"), u("/c")).waitResult();
    tx.node().putArray("passthrough_headers").add("X-Request-Id");
    var a = dtm.request("POST", "/api/dtmsvr/submit", HttpRequest.BodyPublishers.ofString(tx.json()),
        "X-Request-Id", "r-1");
    assertSuccess(a);
    assertThat(rm.calls("passthrough").getFirst().headers()).doesNotContainKey("x-request-id");
  }

  @Test
  void payloadsAreJsonTextsSentVerbatim() {
    // whitespace, key order and unicode exactly as the client wrote them
    String p1 = "{ \"b\" : 2, \"a\" : [1, 2.50] }";
    String p2 = "{\"name\":\"Zoë 名前\"}";
    assertSuccess(Api.submit(dtm, Tx.saga("payload-text").step(u("/a1"), u("/c1")).step(u("/a2"), u("/c2"))
        .payloads(p1, p2).waitResult()));
    assertThat(rm.calls("payload-text")).extracting(Participant.Call::body).containsExactly(p1, p2);
  }

  @Test
  void payloadsGivenAsJsonObjectsAreSentAsTheirJson() {
    String body = """
        {"gid":"payload-object","trans_type":"saga","wait_result":true,
         "steps":[{"action":"%1$s/a","compensate":"%1$s/c"}],"payloads":[{"amount":30}]}""".formatted(rm.url());
    assertSuccess(dtm.post("/api/dtmsvr/submit", body));
    assertThat(rm.calls("payload-object")).extracting(Api::full)
        .containsExactly("/a POST gid=payload-object trans_type=saga branch_id=01 op=action body={\"amount\":30}");
  }

  @Test
  void nullPayloadEntriesAndEmptyStringsMeanNoBody() {
    String body = """
        {"gid":"payload-null","trans_type":"saga","wait_result":true,
         "steps":[{"action":"%1$s/a","compensate":"%1$s/c"},{"action":"%1$s/b","compensate":"%1$s/d"}],
         "payloads":[null,""]}""".formatted(rm.url());
    assertSuccess(dtm.post("/api/dtmsvr/submit", body));
    assertThat(rm.calls("payload-null")).extracting(Api::brief).containsExactly("/a GET 01 action", "/b GET 02 action");
  }

  @Test
  void goNilPayloadSerialisedAsNullTextIsAPost() {
    // Go's json.Marshal(nil) is the text "null": non-empty, so DTM POSTs it (reference 2.1).
    assertSuccess(Api.submit(dtm, Tx.saga("payload-go-nil").step(u("/a"), u("/c")).payloads("null").waitResult()));
    assertThat(rm.calls("payload-go-nil")).extracting(Api::full)
        .containsExactly("/a POST gid=payload-go-nil trans_type=saga branch_id=01 op=action body=null");
  }

  @Test
  void legacyStepDataIsThePayloadWhenPayloadsIsAbsent() {
    String body = """
        {"gid":"legacy-data","trans_type":"saga","wait_result":true,
         "steps":[{"action":"%1$s/a1","compensate":"%1$s/c1","data":"{\\"amount\\":30}"},
                  {"action":"%1$s/a2","compensate":"%1$s/c2"},
                  {"action":"%1$s/a3","compensate":"%1$s/c3","data":{"amount":40}}]}""".formatted(rm.url());
    assertSuccess(dtm.post("/api/dtmsvr/submit", body));
    assertThat(rm.calls("legacy-data")).extracting(Api::full).containsExactly(
        "/a1 POST gid=legacy-data trans_type=saga branch_id=01 op=action body={\"amount\":30}",
        "/a2 GET gid=legacy-data trans_type=saga branch_id=02 op=action body=",
        "/a3 POST gid=legacy-data trans_type=saga branch_id=03 op=action body={\"amount\":40}");
  }

  @Test
  void payloadsWinOverLegacyStepData() {
    String body = """
        {"gid":"legacy-vs-payloads","trans_type":"msg","wait_result":true,
         "steps":[{"action":"%1$s/a","data":"{\\"from\\":\\"data\\"}"}],
         "payloads":["{\\"from\\":\\"payloads\\"}"]}""".formatted(rm.url());
    assertSuccess(dtm.post("/api/dtmsvr/submit", body));
    assertThat(rm.calls("legacy-vs-payloads").getFirst().body()).isEqualTo("{\"from\":\"payloads\"}");
  }

  @Test
  void customDataMayBeAJsonObjectInsteadOfText() {
    String body = """
        {"gid":"custom-object","trans_type":"saga","custom_data":{"concurrent":true},"wait_result":true,
         "steps":[{"action":"%1$s/a","compensate":"%1$s/c"},{"action":"%1$s/b","compensate":"%1$s/d"}]}"""
        .formatted(rm.url());
    assertSuccess(dtm.post("/api/dtmsvr/submit", body));
    assertThat(dtm.query("custom-object").get("concurrent").asBoolean()).isTrue();
    assertThat(rm.calls("custom-object")).hasSize(2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "application/json", "application/json; charset=utf-8", "text/plain",
      "application/x-www-form-urlencoded", "application/octet-stream", "multipart/form-data; boundary=x"})
  void anyContentTypeIsAccepted(String contentType) {
    String gid = "ctype-" + Integer.toHexString(contentType.hashCode());
    String body = Tx.saga(gid).step(u("/a"), u("/c")).waitResult().json();
    HttpRequest.BodyPublisher p = HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8);
    var a = contentType.isEmpty()
        ? dtm.request("POST", "/api/dtmsvr/submit", p)
        : dtm.request("POST", "/api/dtmsvr/submit", p, "Content-Type", contentType);
    assertSuccess(a);
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/a GET 01 action");
  }

  @Test
  void aChunkedBodyWithoutContentLengthIsRead() {
    String body = Tx.saga("chunked").step(u("/a"), u("/c")).waitResult().json();
    var a = dtm.request("POST", "/api/dtmsvr/submit", HttpRequest.BodyPublishers.ofInputStream(
        () -> new java.io.ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))));
    assertSuccess(a);
    assertThat(dtm.status("chunked")).isEqualTo("succeed");
  }

  @Test
  void gidOf128CharactersIsAccepted() {
    String gid = "g".repeat(128);
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step(u("/a"), u("/c")).waitResult()));
    assertThat(rm.calls(gid)).extracting(Participant.Call::gid).containsExactly(gid);
    assertThat(dtm.query(gid).get("gid").asText()).isEqualTo(gid);
  }

  @Test
  void gidWithUrlSpecialCharactersReachesTheParticipantIntact() {
    String gid = "a b&c=d+e/f?g#h%i";
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step(u("/a"), u("/c")).waitResult()));
    assertThat(rm.calls(gid)).extracting(Participant.Call::gid).containsExactly(gid);
    assertThat(dtm.query(gid).get("gid").asText()).isEqualTo(gid);
  }
}
