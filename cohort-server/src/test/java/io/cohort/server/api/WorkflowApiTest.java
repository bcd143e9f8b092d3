package io.cohort.server.api;

import static io.cohort.server.api.Api.assertFailure;
import static io.cohort.server.api.Api.assertSuccess;
import static io.cohort.server.api.Api.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.server.support.CoordinatorTest;
import io.cohort.server.support.Participant.Reply;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Workflow end to end (reference 1.3 prepareWorkflow, registerBranch, submit with req_extra; 2.7 resume). */
class WorkflowApiTest extends CoordinatorTest {

  private JsonNode prepareWorkflow(String gid) {
    var a = dtm.post("/api/dtmsvr/prepareWorkflow", Tx.workflow(gid, "transfer", "{\"amount\":30}",
        rm.url("/resume")).json());
    assertThat(a.status()).as(a.text()).isEqualTo(200);
    Api.assertNoVerdictWords(a);
    return a.json();
  }

  private void record(String gid, String branchId, String op, String status, String data) {
    assertSuccess(dtm.post("/api/dtmsvr/registerBranch", Tx.branch("gid", gid, "trans_type", "workflow",
        "branch_id", branchId, "op", op, "status", status, "data", data)));
  }

  private void finish(String gid, String status, String result, String reason) {
    String extra = Tx.branch("status", status, "result", result, "rollback_reason", reason);
    assertSuccess(dtm.post("/api/dtmsvr/submit",
        "{\"gid\":\"" + gid + "\",\"trans_type\":\"workflow\",\"req_extra\":" + extra + "}"));
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void progressIsRecordedAndReturnedAndSubmitEndsTheWorkflow() {
    String gid = "wf-success";
    JsonNode first = prepareWorkflow(gid);
    assertThat(first.at("/transaction/gid").asText()).isEqualTo(gid);
    assertThat(first.at("/transaction/status").asText()).isEqualTo("prepared");
    assertThat(first.get("progresses")).isEmpty();

    record(gid, "01", "action", "succeed", "{\"debited\":30}");
    record(gid, "02", "action", "succeed", "");

    // A client that restarts calls prepareWorkflow again and replays the recorded progress.
    JsonNode again = prepareWorkflow(gid);
    assertThat(again.get("progresses")).extracting(p -> p.get("branch_id").asText() + " " + p.get("op").asText() + " "
        + p.get("status").asText()).containsExactly("01 action succeed", "02 action succeed");
    assertThat(again.at("/progresses/0/bin_data").asText()).isEqualTo(b64("{\"debited\":30}"));
    assertThat(again.at("/progresses/1").has("bin_data")).as("empty data is omitted").isFalse();

    finish(gid, "succeed", b64("done"), "");
    JsonNode done = prepareWorkflow(gid);
    assertThat(done.at("/transaction/status").asText()).isEqualTo("succeed");
    assertThat(done.at("/transaction/result").asText()).isEqualTo(b64("done"));
    assertThat(rm.calls(gid)).as("the coordinator calls no workflow step").isEmpty();
  }

  @Test
  void aFailedWorkflowKeepsItsRollbackReason() {
    String gid = "wf-failure";
    prepareWorkflow(gid);
    record(gid, "01", "action", "succeed", "");
    record(gid, "02", "action", "failed", "insufficient funds");
    record(gid, "01", "compensate", "succeed", "");
    finish(gid, "failed", "", "insufficient funds");
    JsonNode q = Api.query(dtm, gid);
    assertThat(q.at("/transaction/status").asText()).isEqualTo("failed");
    assertThat(q.at("/transaction/rollback_reason").asText()).isEqualTo("insufficient funds");
    assertThat(q.get("branches")).extracting(b -> b.get("status").asText()).containsExactly("succeed", "failed",
        "succeed");
    // The same final status again is accepted (a retried submit); another one is refused.
    finish(gid, "failed", "", "insufficient funds");
    assertFailure(dtm.post("/api/dtmsvr/submit", "{\"gid\":\"" + gid + "\",\"trans_type\":\"workflow\","
        + "\"req_extra\":{\"status\":\"succeed\"}}"), "current status 'failed'");
    assertFailure(dtm.post("/api/dtmsvr/registerBranch", Tx.branch("gid", gid, "trans_type", "workflow",
        "branch_id", "03", "op", "action", "status", "succeed")), "not prepared");
  }

  @Test
  void anUnfinishedWorkflowIsResumedThroughItsCallbackUntilItIsSubmitted() {
    String gid = "wf-resume";
    rm.on("/resume", Reply.error());
    prepareWorkflow(gid);
    // retry interval 200 ms in the test coordinator: resumes repeat while the client stays silent
    eventually().until(() -> rm.count(gid, "00", "transfer") >= 2);
    var resume = rm.calls(gid).getFirst();
    assertThat(Api.full(resume)).isEqualTo(
        "/resume POST gid=wf-resume trans_type=workflow branch_id=00 op=transfer body={\"amount\":30}");
    finish(gid, "succeed", "", "");
    int after = rm.count(gid, "00", "transfer");
    eventually().during(java.time.Duration.ofMillis(800)).until(() -> rm.count(gid, "00", "transfer") <= after + 1);
    assertThat(dtm.status(gid)).isEqualTo("succeed");
  }

  @Test
  void workflowInputIsValidated() {
    var noName = dtm.post("/api/dtmsvr/prepareWorkflow",
        "{\"gid\":\"wf-bad\",\"trans_type\":\"workflow\",\"custom_data\":\"{\\\"data\\\":\\\"\\\"}\"}");
    Api.assertError(noName, 400, "custom_data.name is required");
    var badData = dtm.post("/api/dtmsvr/prepareWorkflow",
        "{\"gid\":\"wf-bad\",\"trans_type\":\"workflow\",\"custom_data\":\"{\\\"name\\\":\\\"w\\\",\\\"data\\\":\\\"%%%\\\"}\"}");
    Api.assertError(badData, 400, "custom_data.data must be base64");
    var badStatus = dtm.post("/api/dtmsvr/submit",
        "{\"gid\":\"wf-bad\",\"trans_type\":\"workflow\",\"req_extra\":{\"status\":\"done\"}}");
    Api.assertError(badStatus, 400, "req_extra.status must be succeed or failed");
    assertThat(Api.query(dtm, "wf-bad").get("transaction").isNull()).isTrue();
    prepareWorkflow("wf-ok");
    var unknownOp = dtm.post("/api/dtmsvr/registerBranch", Tx.branch("gid", "wf-ok", "trans_type", "workflow",
        "branch_id", "01", "op", "jump", "status", "succeed"));
    Api.assertError(unknownOp, 400, "unknown op 'jump'");
    assertThat(Api.query(dtm, "wf-ok").get("branches")).isEmpty();
  }
}
