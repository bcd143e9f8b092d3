package io.cohort.server.api;

import static io.cohort.server.api.Api.assertFailure;
import static io.cohort.server.api.Api.assertSuccess;
import static io.cohort.server.api.Api.awaitStatus;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.server.support.CoordinatorTest;
import org.junit.jupiter.api.Test;

/** XA end to end: phase-2 commit and rollback, always POST, in registration order (reference 1.3, 2.3, 2.6). */
class XaApiTest extends CoordinatorTest {

  private void prepare(String gid, long timeoutToFail, String... branchIds) {
    assertSuccess(Api.prepare(dtm, Tx.of("xa", gid).put("timeout_to_fail", timeoutToFail)));
    for (String id : branchIds) {
      assertSuccess(dtm.post("/api/dtmsvr/registerBranch", Tx.branch("gid", gid, "trans_type", "xa", "branch_id", id,
          "url", rm.url("/xa/" + id))));
    }
  }

  @Test
  void submitCommitsEveryBranchInRegistrationOrderByPost() {
    String gid = "xa-commit";
    prepare(gid, 60, "01", "02", "03");
    assertSuccess(Api.submit(dtm, Tx.of("xa", gid).waitResult()));
    assertThat(rm.calls(gid)).extracting(Api::full).containsExactly(
        "/xa/01 POST gid=xa-commit trans_type=xa branch_id=01 op=commit body=",
        "/xa/02 POST gid=xa-commit trans_type=xa branch_id=02 op=commit body=",
        "/xa/03 POST gid=xa-commit trans_type=xa branch_id=03 op=commit body=");
    JsonNode q = Api.query(dtm, gid);
    assertThat(q.at("/transaction/status").asText()).isEqualTo("succeed");
    assertThat(q.get("branches")).extracting(b -> b.get("op").asText() + " " + b.get("url").asText())
        .containsExactly("rollback " + rm.url("/xa/01"), "commit " + rm.url("/xa/01"), "rollback " + rm.url("/xa/02"),
            "commit " + rm.url("/xa/02"), "rollback " + rm.url("/xa/03"), "commit " + rm.url("/xa/03"));
  }

  @Test
  void abortRollsBackEveryBranchInRegistrationOrder() {
    String gid = "xa-rollback";
    prepare(gid, 60, "01", "02");
    assertSuccess(dtm.post("/api/dtmsvr/abort", "{\"gid\":\"" + gid + "\",\"trans_type\":\"xa\"}"));
    JsonNode q = awaitStatus(dtm, gid, "failed");
    assertThat(q.at("/transaction/rollback_reason").asText()).isEqualTo("aborted by client");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/xa/01 POST 01 rollback",
        "/xa/02 POST 02 rollback");
  }

  @Test
  void aPreparedXaThatOutlivesItsTimeoutIsRolledBack() {
    String gid = "xa-timeout";
    prepare(gid, 1, "01");
    JsonNode q = awaitStatus(dtm, gid, "failed");
    assertThat(q.at("/transaction/rollback_reason").asText()).isEqualTo("Timeout after 1 seconds");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/xa/01 POST 01 rollback");
  }

  @Test
  void theServerDefaultTimeoutAppliesWhenTheClientSetsNone() {
    String gid = "xa-default-timeout"; // the test coordinator's engine.timeout-to-fail is 2 s
    assertSuccess(Api.prepare(dtm, Tx.of("xa", gid)));
    JsonNode q = awaitStatus(dtm, gid, "failed");
    assertThat(q.at("/transaction/rollback_reason").asText()).isEqualTo("Timeout after 2 seconds");
  }

  @Test
  void xaBranchesNeedTheirPhaseTwoUrl() {
    String gid = "xa-no-url";
    prepare(gid, 60);
    var a = dtm.post("/api/dtmsvr/registerBranch", Tx.branch("gid", gid, "trans_type", "xa", "branch_id", "01"));
    Api.assertError(a, 400, "an xa branch needs url");
    assertFailure(dtm.post("/api/dtmsvr/abort", "{\"gid\":\"" + gid + "\",\"trans_type\":\"tcc\"}"),
        "is a xa, not a tcc");
    assertThat(Api.query(dtm, gid).get("branches")).isEmpty();
  }
}
