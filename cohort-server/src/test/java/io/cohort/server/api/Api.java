package io.cohort.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.server.support.Participant;
import io.cohort.server.support.TestCoordinator;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.awaitility.core.ConditionFactory;

/** Shared helpers for the end-to-end API tests: waiting, call descriptions and envelope checks. */
final class Api {
  /** Generous: the coordinators under test retry every 200 ms, but CI machines can be slow. */
  static final Duration PATIENCE = Duration.ofSeconds(20);

  private Api() {}

  static ConditionFactory eventually() {
    return await().atMost(PATIENCE).pollInterval(Duration.ofMillis(20));
  }

  /** Waits until the transaction has {@code status}, then returns its query body (transaction and branches). */
  static JsonNode awaitStatus(TestCoordinator dtm, String gid, String status) {
    eventually().alias(gid + " reaches " + status).until(() -> status.equals(dtm.status(gid)));
    return query(dtm, gid);
  }

  /** The full {@code query} body for {@code gid}. */
  static JsonNode query(TestCoordinator dtm, String gid) {
    TestCoordinator.Answer a = dtm.get("/api/dtmsvr/query?gid=" + enc(gid));
    assertThat(a.status()).as(a.text()).isEqualTo(200);
    return a.json();
  }

  static TestCoordinator.Answer submit(TestCoordinator dtm, Tx tx) {
    return dtm.post("/api/dtmsvr/submit", tx.json());
  }

  static TestCoordinator.Answer prepare(TestCoordinator dtm, Tx tx) {
    return dtm.post("/api/dtmsvr/prepare", tx.json());
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Asserts a DTM success: 200, {@code dtm_result} SUCCESS, and no verdict word a client would misread. */
  static void assertSuccess(TestCoordinator.Answer a) {
    assertThat(a.status()).as(a.text()).isEqualTo(200);
    assertThat(a.json().get("dtm_result").asText()).as(a.text()).isEqualTo("SUCCESS");
    assertNoVerdictWords(a);
  }

  /** Clients judge any coordinator answer by searching its text for these words (reference 1.1, 10.3). */
  static void assertNoVerdictWords(TestCoordinator.Answer a) {
    assertThat(a.text()).as("a success body").doesNotContain("FAILURE").doesNotContain("ONGOING");
  }

  /** Asserts a DTM FAILURE: 409 with {@code dtm_result} FAILURE and a message containing {@code message}. */
  static void assertFailure(TestCoordinator.Answer a, String message) {
    assertThat(a.status()).as(a.text()).isEqualTo(409);
    assertThat(a.json().get("dtm_result").asText()).isEqualTo("FAILURE");
    assertThat(a.json().get("message").asText()).contains(message);
  }

  /** Asserts an error answer without {@code dtm_result}: the status and a message naming the problem. */
  static void assertError(TestCoordinator.Answer a, int status, String message) {
    assertThat(a.status()).as(a.text()).isEqualTo(status);
    assertThat(a.json()).as(a.text()).isNotNull();
    assertThat(a.json().get("message").asText()).as(a.text()).contains(message);
    assertThat(a.json().has("dtm_result")).as(a.text()).isFalse();
  }

  /** One call as "path METHOD branch_id op", for order assertions. */
  static String brief(Participant.Call c) {
    return c.path() + " " + c.method() + " " + c.branchId() + " " + c.op();
  }

  /** One call with everything the participant's barrier sees: path, method, gid, trans_type, branch_id, op, body. */
  static String full(Participant.Call c) {
    return c.path() + " " + c.method() + " gid=" + c.gid() + " trans_type=" + c.transType() + " branch_id="
        + c.branchId() + " op=" + c.op() + " body=" + c.body();
  }

  static List<Participant.Call> callsTo(Participant p, String gid, String path) {
    return p.calls(gid).stream().filter(c -> c.path().equals(path)).toList();
  }

  static long millisBetween(Participant.Call earlier, Participant.Call later) {
    return (later.atNanos() - earlier.atNanos()) / 1_000_000;
  }
}
