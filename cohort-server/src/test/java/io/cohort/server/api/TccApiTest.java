package io.cohort.server.api;

import static io.cohort.server.api.Api.assertFailure;
import static io.cohort.server.api.Api.assertSuccess;
import static io.cohort.server.api.Api.awaitStatus;
import static io.cohort.server.api.Api.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.server.support.CoordinatorTest;
import io.cohort.server.support.Participant.Reply;
import org.junit.jupiter.api.Test;

/** TCC end to end over HTTP with a real participant (reference 1.3 registerBranch, 1.4 TCC, 2.3). */
class TccApiTest extends CoordinatorTest {

  private TestCoordinatorCalls tcc(String gid) {
    return new TestCoordinatorCalls(gid);
  }

  /** What a TCC client does against the coordinator: prepare, register each branch, then submit or abort. */
  private final class TestCoordinatorCalls {
    final String gid;

    TestCoordinatorCalls(String gid) {
      this.gid = gid;
    }

    TestCoordinatorCalls prepare(long timeoutToFail) {
      assertSuccess(Api.prepare(dtm, Tx.of("tcc", gid).put("timeout_to_fail", timeoutToFail)));
      return this;
    }

    TestCoordinatorCalls register(String branchId, String data) {
      assertSuccess(dtm.post("/api/dtmsvr/registerBranch", Tx.branch("gid", gid, "trans_type", "tcc",
          "branch_id", branchId, "confirm", rm.url("/confirm/" + branchId), "cancel", rm.url("/cancel/" + branchId),
          "data", data)));
      return this;
    }
  }

  @Test
  void submitConfirmsEveryBranchFromTheLastRegisteredToTheFirst() {
    String gid = "tcc-confirm";
    tcc(gid).prepare(60).register("01", "{\"amount\":30}").register("0101", "{\"nested\":true}").register("02", "");
    assertThat(dtm.status(gid)).isEqualTo("prepared");
    assertThat(rm.calls(gid)).as("the coordinator calls nothing before submit").isEmpty();

    assertSuccess(Api.submit(dtm, Tx.of("tcc", gid).waitResult()));
    assertThat(rm.calls(gid)).extracting(Api::full).containsExactly(
        "/confirm/02 GET gid=tcc-confirm trans_type=tcc branch_id=02 op=confirm body=",
        "/confirm/0101 POST gid=tcc-confirm trans_type=tcc branch_id=0101 op=confirm body={\"nested\":true}",
        "/confirm/01 POST gid=tcc-confirm trans_type=tcc branch_id=01 op=confirm body={\"amount\":30}");
    JsonNode q = Api.query(dtm, gid);
    assertThat(q.at("/transaction/status").asText()).isEqualTo("succeed");
    assertThat(q.get("branches")).extracting(b -> b.get("branch_id").asText() + " " + b.get("op").asText() + " "
        + b.get("status").asText()).containsExactly("01 cancel prepared", "01 confirm succeed",
        "0101 cancel prepared", "0101 confirm succeed", "02 cancel prepared", "02 confirm succeed");
  }

  @Test
  void abortCancelsEveryBranchLastFirstWithTheClientsReason() {
    String gid = "tcc-abort";
    tcc(gid).prepare(60).register("01", "{\"a\":1}").register("02", "{\"a\":2}");
    var abort = dtm.post("/api/dtmsvr/abort",
        "{\"gid\":\"" + gid + "\",\"trans_type\":\"tcc\",\"rollback_reason\":\"try of 02 failed\"}");
    assertSuccess(abort);
    JsonNode q = awaitStatus(dtm, gid, "failed");
    assertThat(q.at("/transaction/rollback_reason").asText()).isEqualTo("try of 02 failed");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/cancel/02 POST 02 cancel",
        "/cancel/01 POST 01 cancel");
    assertFailure(Api.submit(dtm, Tx.of("tcc", gid)), "current status 'failed'");
    assertThat(rm.calls(gid)).as("never a confirm after a cancel").hasSize(2);
  }

  @Test
  void abortWithWaitResultAnswersOnceTheCancelsRan() {
    String gid = "tcc-abort-wait";
    tcc(gid).prepare(60).register("01", "{}");
    assertSuccess(dtm.post("/api/dtmsvr/abort", "{\"gid\":\"" + gid + "\",\"trans_type\":\"tcc\",\"wait_result\":true}"));
    assertThat(dtm.status(gid)).isEqualTo("failed");
    assertThat(rm.count(gid, "01", "cancel")).isEqualTo(1);
  }

  @Test
  void aPreparedTccThatOutlivesItsTimeoutIsCancelled() {
    String gid = "tcc-timeout";
    tcc(gid).prepare(1).register("01", "{}").register("02", "{}");
    JsonNode q = awaitStatus(dtm, gid, "failed");
    assertThat(q.at("/transaction/rollback_reason").asText()).isEqualTo("Timeout after 1 seconds");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/cancel/02 POST 02 cancel",
        "/cancel/01 POST 01 cancel");
    var late = dtm.post("/api/dtmsvr/registerBranch", Tx.branch("gid", gid, "trans_type", "tcc", "branch_id", "03",
        "confirm", rm.url("/c"), "cancel", rm.url("/x")));
    assertFailure(late, "not prepared");
  }

  @Test
  void aConfirmAnsweringFailureIsRetriedUntilItSucceeds() {
    String gid = "tcc-confirm-retry";
    rm.on("/confirm/01", c -> rm.count(gid, "01", "confirm") <= 2 ? Reply.failure() : Reply.ok());
    tcc(gid).prepare(60).register("01", "{}");
    var submit = Api.submit(dtm, Tx.of("tcc", gid).waitResult());
    assertThat(submit.status()).as(submit.text()).isEqualTo(425);
    assertThat(submit.json().get("dtm_result").asText()).isEqualTo("ONGOING");
    assertThat(submit.json().get("message").asText()).contains("being retried").contains("409");
    awaitStatus(dtm, gid, "succeed");
    assertThat(rm.count(gid, "01", "confirm")).isEqualTo(3);
    assertThat(rm.count(gid, "01", "cancel")).isZero();
  }

  @Test
  void nestedBranchIdsAreKeptAsTheClientGivesThem() {
    String gid = "tcc-nested";
    tcc(gid).prepare(60).register("01", "{}").register("0101", "{}").register("010101", "{}").register("02", "{}");
    assertSuccess(Api.submit(dtm, Tx.of("tcc", gid)));
    awaitStatus(dtm, gid, "succeed");
    assertThat(rm.calls(gid)).extracting(c -> c.branchId()).containsExactly("02", "010101", "0101", "01");
  }

  @Test
  void prepareIsIdempotentAndSubmitOfAnUnpreparedTccIsRefused() {
    String gid = "tcc-idem";
    tcc(gid).prepare(60).prepare(60).register("01", "{}");
    var neverPrepared = Api.submit(dtm, Tx.of("tcc", "tcc-never-prepared"));
    assertThat(neverPrepared.status()).as(neverPrepared.text()).isEqualTo(404);
    assertThat(neverPrepared.json().get("message").asText()).contains("prepared before it is submitted");
    assertThat(Api.query(dtm, "tcc-never-prepared").get("transaction").isNull()).isTrue();
    assertSuccess(Api.submit(dtm, Tx.of("tcc", gid)));
    eventually().until(() -> "succeed".equals(dtm.status(gid)));
    // submit again once final: refused, nothing called again
    assertFailure(Api.submit(dtm, Tx.of("tcc", gid)), "current status 'succeed'");
    assertThat(rm.count(gid, "01", "confirm")).isEqualTo(1);
  }

  @Test
  void legacyRegisterTccBranchBodiesAreAccepted() {
    String gid = "tcc-legacy";
    tcc(gid).prepare(60);
    // The Python and early Go clients: /registerTccBranch with status and try along, branch_type instead of op.
    assertSuccess(dtm.post("/api/dtmsvr/registerTccBranch", Tx.branch("gid", gid, "branch_id", "01", "trans_type",
        "tcc", "status", "prepared", "data", "{\"amount\":1}", "try", rm.url("/try"), "confirm", rm.url("/confirm/01"),
        "cancel", rm.url("/cancel/01"), "branch_type", "try")));
    assertSuccess(dtm.post("/api/dtmsvr/registerXaBranch", Tx.branch("gid", gid, "branch_id", "02", "trans_type",
        "tcc", "confirm", rm.url("/confirm/02"), "cancel", rm.url("/cancel/02"))));
    assertSuccess(Api.submit(dtm, Tx.of("tcc", gid).waitResult()));
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/confirm/02 GET 02 confirm",
        "/confirm/01 POST 01 confirm");
  }
}
