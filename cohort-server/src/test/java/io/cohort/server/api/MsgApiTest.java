package io.cohort.server.api;

import static io.cohort.server.api.Api.assertError;
import static io.cohort.server.api.Api.assertFailure;
import static io.cohort.server.api.Api.assertSuccess;
import static io.cohort.server.api.Api.awaitStatus;
import static io.cohort.server.api.Api.callsTo;
import static io.cohort.server.api.Api.eventually;
import static io.cohort.server.api.Api.millisBetween;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.server.support.CoordinatorTest;
import io.cohort.server.support.Participant;
import io.cohort.server.support.Participant.Reply;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** 2-phase messages end to end (reference 1.3 prepare/submit/abort, 1.4 msg, 2.3, 2.5). */
class MsgApiTest extends CoordinatorTest {
  private Tx twoActions(String gid) {
    return Tx.msg(gid).step(rm.url("/m1")).step(rm.url("/m2")).payloads("{\"amount\":30}", "");
  }

  /** A prepared msg that the coordinator checks back after 1 s. */
  private Tx checkedBack(String gid) {
    return twoActions(gid).queryPrepared(rm.url("/qp")).put("timeout_to_fail", 1);
  }

  @Test
  void submitWithoutPrepareDeliversTheActionsInOrder() {
    String gid = "msg-direct";
    assertSuccess(Api.submit(dtm, twoActions(gid).waitResult()));
    assertThat(rm.calls(gid)).extracting(Api::full).containsExactly(
        "/m1 POST gid=msg-direct trans_type=msg branch_id=01 op=action body={\"amount\":30}",
        "/m2 GET gid=msg-direct trans_type=msg branch_id=02 op=action body=");
    JsonNode q = Api.query(dtm, gid);
    assertThat(q.at("/transaction/status").asText()).isEqualTo("succeed");
    assertThat(q.get("branches")).extracting(b -> b.get("branch_id").asText() + " " + b.get("op").asText() + " "
        + b.get("status").asText()).containsExactly("01 action succeed", "02 action succeed");
  }

  @Test
  void prepareThenSubmitDeliversTheStoredSteps() {
    String gid = "msg-prepared";
    assertSuccess(Api.prepare(dtm, twoActions(gid).queryPrepared(rm.url("/qp"))));
    JsonNode q = Api.query(dtm, gid);
    assertThat(q.at("/transaction/status").asText()).isEqualTo("prepared");
    assertThat(q.get("branches")).hasSize(2);
    assertThat(rm.calls(gid)).isEmpty();
    // The submit names other steps: the stored ones are delivered, as DTM does.
    Tx other = Tx.msg(gid).step(rm.url("/other")).waitResult();
    assertSuccess(Api.submit(dtm, other));
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/m1 POST 01 action", "/m2 GET 02 action");
    assertThat(callsTo(rm, gid, "/m1").getFirst().body()).isEqualTo("{\"amount\":30}");
    assertThat(dtm.status(gid)).isEqualTo("succeed");
  }

  @Test
  void submitOfAPreparedMsgMayOmitTheSteps() {
    String gid = "msg-prepared-bare-submit";
    assertSuccess(Api.prepare(dtm, twoActions(gid).queryPrepared(rm.url("/qp"))));
    assertSuccess(dtm.post("/api/dtmsvr/submit", "{\"gid\":\"" + gid + "\",\"trans_type\":\"msg\",\"wait_result\":true}"));
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/m1 POST 01 action", "/m2 GET 02 action");
  }

  @Test
  void aNewMsgWithoutStepsIsRefusedAndNothingStored() {
    assertError(dtm.post("/api/dtmsvr/submit", "{\"gid\":\"msg-no-steps\",\"trans_type\":\"msg\"}"), 400,
        "a msg needs at least one step");
    assertThat(dtm.query("msg-no-steps")).isNull();
  }

  @Test
  void prepareIsIdempotentWhilePreparedAnd409OnceSubmitted() {
    String gid = "msg-prepare-twice";
    Tx tx = twoActions(gid).queryPrepared(rm.url("/qp"));
    assertSuccess(Api.prepare(dtm, tx));
    JsonNode first = Api.query(dtm, gid);
    assertSuccess(Api.prepare(dtm, tx));
    assertSuccess(Api.prepare(dtm, Tx.msg(gid).step(rm.url("/different")).queryPrepared(rm.url("/qp"))));
    JsonNode again = Api.query(dtm, gid);
    assertThat(again.at("/transaction/id")).isEqualTo(first.at("/transaction/id"));
    assertThat(again.at("/transaction/create_time")).isEqualTo(first.at("/transaction/create_time"));
    assertThat(again.get("branches")).isEqualTo(first.get("branches"));
    assertSuccess(Api.submit(dtm, tx.waitResult()));
    assertFailure(Api.prepare(dtm, tx), "current status 'succeed', cannot prepare");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/m1 POST 01 action", "/m2 GET 02 action");
  }

  @Test
  void prepareOfASubmittedMsgStillRunningIs409() {
    String gid = "msg-prepare-submitted";
    rm.on("/m1", Reply.ongoing());
    assertSuccess(Api.submit(dtm, twoActions(gid)));
    eventually().until(() -> !rm.calls(gid).isEmpty());
    assertFailure(Api.prepare(dtm, twoActions(gid).queryPrepared(rm.url("/qp"))),
        "current status 'submitted', cannot prepare");
  }

  @Test
  void prepareThenAbortFailsTheMsgAndNothingIsEverCalled() {
    String gid = "msg-abort";
    assertSuccess(Api.prepare(dtm, checkedBack(gid)));
    assertSuccess(dtm.post("/api/dtmsvr/abort", "{\"gid\":\"" + gid + "\",\"trans_type\":\"msg\"}"));
    JsonNode q = Api.query(dtm, gid);
    assertThat(q.at("/transaction/status").asText()).isEqualTo("failed");
    assertThat(q.at("/transaction/rollback_reason").asText()).isEqualTo("aborted by client");
    // past the 1 s check-back time: still nothing called, neither the check-back nor an action
    await().during(Duration.ofMillis(1800)).atMost(Api.PATIENCE).until(() -> rm.calls(gid).isEmpty());
    assertFailure(Api.submit(dtm, twoActions(gid)), "current status 'failed', cannot submit");
    assertFailure(dtm.post("/api/dtmsvr/abort", "{\"gid\":\"" + gid + "\",\"trans_type\":\"msg\"}"),
        "current status 'failed', cannot abort");
    assertThat(rm.calls(gid)).isEmpty();
  }

  @Test
  void abortKeepsTheClientsRollbackReason() {
    String gid = "msg-abort-reason";
    assertSuccess(Api.prepare(dtm, checkedBack(gid)));
    assertSuccess(dtm.post("/api/dtmsvr/abort",
        "{\"gid\":\"" + gid + "\",\"trans_type\":\"msg\",\"rollback_reason\":\"insufficient balance\"}"));
    assertThat(Api.query(dtm, gid).at("/transaction/rollback_reason").asText()).isEqualTo("insufficient balance");
  }

  @Test
  void abortOfASubmittedMsgIs409() {
    String gid = "msg-abort-submitted";
    assertSuccess(Api.submit(dtm, twoActions(gid).waitResult()));
    assertFailure(dtm.post("/api/dtmsvr/abort", "{\"gid\":\"" + gid + "\",\"trans_type\":\"msg\"}"),
        "current status 'succeed', cannot abort");
  }

  @Test
  void abortOfASagaIs409AndTheSagaCarriesOn() {
    String gid = "msg-abort-saga";
    rm.on("/a", c -> rm.count(gid, "01", "action") < 3 ? Reply.ongoing() : Reply.ok());
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step(rm.url("/a"), rm.url("/c"))));
    assertFailure(dtm.post("/api/dtmsvr/abort", "{\"gid\":\"" + gid + "\",\"trans_type\":\"saga\"}"),
        "a saga cannot be aborted");
    awaitStatus(dtm, gid, "succeed");
    assertThat(callsTo(rm, gid, "/c")).isEmpty();
  }

  @Test
  void abortOfAnUnknownGidIs404() {
    assertError(dtm.post("/api/dtmsvr/abort", "{\"gid\":\"msg-nobody\",\"trans_type\":\"msg\"}"), 404,
        "no transaction with gid 'msg-nobody'");
  }

  @Test
  void abortWithoutGidOrTypeIs400() {
    assertError(dtm.post("/api/dtmsvr/abort", "{\"trans_type\":\"msg\"}"), 400, "gid is required");
    assertError(dtm.post("/api/dtmsvr/abort", "{\"gid\":\"x\"}"), 400, "trans_type is required");
  }

  @Test
  void checkBackSuccessSubmitsAndDeliversTheActions() {
    String gid = "msg-cb-success";
    long t0 = System.nanoTime();
    assertSuccess(Api.prepare(dtm, checkedBack(gid).header("X-Trace", "t1")));
    JsonNode q = awaitStatus(dtm, gid, "succeed");
    assertThat(rm.calls(gid)).extracting(Api::full).containsExactly(
        "/qp GET gid=msg-cb-success trans_type=msg branch_id=00 op=msg body=",
        "/m1 POST gid=msg-cb-success trans_type=msg branch_id=01 op=action body={\"amount\":30}",
        "/m2 GET gid=msg-cb-success trans_type=msg branch_id=02 op=action body=");
    Participant.Call checkBack = rm.calls(gid).getFirst();
    assertThat((checkBack.atNanos() - t0) / 1_000_000).isGreaterThanOrEqualTo(1000);
    assertThat(rm.calls(gid)).allSatisfy(c -> assertThat(c.headers()).containsEntry("x-trace", "t1"));
    assertThat(q.at("/transaction/query_prepared").asText()).isEqualTo(rm.url("/qp"));
  }

  @Test
  void checkBackFailureFailsTheMsgAndNoActionIsCalled() {
    String gid = "msg-cb-failure";
    rm.on("/qp", Reply.failure());
    assertSuccess(Api.prepare(dtm, checkedBack(gid)));
    JsonNode q = awaitStatus(dtm, gid, "failed");
    assertThat(q.at("/transaction/rollback_reason").asText()).startsWith("check-back answered FAILURE");
    await().during(Duration.ofMillis(800)).atMost(Api.PATIENCE).until(() -> rm.calls(gid).size() == 1);
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/qp GET 00 msg");
    assertThat(q.get("branches")).allSatisfy(b -> assertThat(b.get("status").asText()).isEqualTo("prepared"));
  }

  @Test
  void checkBackOngoingIsAskedAgainUntilSuccess() {
    String gid = "msg-cb-ongoing";
    rm.on("/qp", c -> rm.count(gid, "00", "msg") <= 2 ? Reply.ongoing() : Reply.ok());
    assertSuccess(Api.prepare(dtm, checkedBack(gid)));
    awaitStatus(dtm, gid, "succeed");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly(
        "/qp GET 00 msg", "/qp GET 00 msg", "/qp GET 00 msg", "/m1 POST 01 action", "/m2 GET 02 action");
  }

  @Test
  void checkBackErrorIsRetriedUntilSuccess() {
    String gid = "msg-cb-error";
    rm.on("/qp", c -> rm.count(gid, "00", "msg") == 1 ? Reply.error() : Reply.ok());
    assertSuccess(Api.prepare(dtm, checkedBack(gid)));
    awaitStatus(dtm, gid, "succeed");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly(
        "/qp GET 00 msg", "/qp GET 00 msg", "/m1 POST 01 action", "/m2 GET 02 action");
  }

  @Test
  void aPreparedMsgIsNotCheckedBackBeforeItsTimeoutToFail() {
    String gid = "msg-cb-not-early";
    assertSuccess(Api.prepare(dtm, twoActions(gid).queryPrepared(rm.url("/qp")).put("timeout_to_fail", 60)));
    await().during(Duration.ofMillis(1500)).atMost(Api.PATIENCE).until(() -> rm.calls(gid).isEmpty());
    assertThat(dtm.status(gid)).isEqualTo("prepared");
  }

  @Test
  void delayDefersDeliveryUntilTheMsgIsThatOld() {
    String gid = "msg-delay";
    long t0 = System.nanoTime();
    assertSuccess(Api.submit(dtm, twoActions(gid).customData("{\"delay\":2}")));
    assertThat(dtm.status(gid)).isEqualTo("submitted");
    awaitStatus(dtm, gid, "succeed");
    List<Participant.Call> calls = rm.calls(gid);
    assertThat(calls).extracting(Api::brief).containsExactly("/m1 POST 01 action", "/m2 GET 02 action");
    assertThat((calls.getFirst().atNanos() - t0) / 1_000_000).isGreaterThanOrEqualTo(2000);
  }

  @Test
  void waitResultOnADelayedMsgIs409AndItIsDeliveredLater() {
    String gid = "msg-delay-wait";
    assertFailure(Api.submit(dtm, twoActions(gid).customData("{\"delay\":1}").waitResult()),
        "wait result not return success");
    assertThat(rm.calls(gid)).isEmpty();
    awaitStatus(dtm, gid, "succeed");
    assertThat(rm.calls(gid)).hasSize(2);
  }

  @Test
  void concurrentMsgCallsAllActionsAtOnce() {
    String gid = "msg-concurrent";
    rm.on("/m1", Reply.ok().after(1000));
    rm.on("/m2", Reply.ok().after(1000));
    rm.on("/m3", Reply.ok().after(1000));
    assertSuccess(Api.submit(dtm, Tx.msg(gid).step(rm.url("/m1")).step(rm.url("/m2")).step(rm.url("/m3"))
        .put("concurrent", true).waitResult()));
    List<Participant.Call> calls = rm.calls(gid);
    assertThat(calls).extracting(Api::brief)
        .containsExactlyInAnyOrder("/m1 GET 01 action", "/m2 GET 02 action", "/m3 GET 03 action");
    // one after another would take at least a second between the first and the last call
    assertThat(millisBetween(calls.getFirst(), calls.getLast())).isLessThan(1000);
  }

  @Test
  void sequentialMsgStopsAtTheFirstUnfinishedAction() {
    String gid = "msg-sequential-ongoing";
    rm.on("/m1", c -> rm.count(gid, "01", "action") == 1 ? Reply.ongoing() : Reply.ok());
    assertSuccess(Api.submit(dtm, twoActions(gid)));
    awaitStatus(dtm, gid, "succeed");
    assertThat(rm.calls(gid)).extracting(Api::brief)
        .containsExactly("/m1 POST 01 action", "/m1 POST 01 action", "/m2 GET 02 action");
  }

  @Test
  void anActionAnsweringFailureIsRetriedUntilItSucceedsNeverRolledBack() {
    String gid = "msg-must-succeed";
    rm.on("/m2", c -> rm.count(gid, "02", "action") <= 3 ? Reply.failure() : Reply.ok());
    assertSuccess(Api.submit(dtm, twoActions(gid)));
    JsonNode q = awaitStatus(dtm, gid, "succeed");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/m1 POST 01 action",
        "/m2 GET 02 action", "/m2 GET 02 action", "/m2 GET 02 action", "/m2 GET 02 action");
    assertThat(q.at("/transaction/rollback_reason").isMissingNode()).isTrue();
  }

  @Test
  void branchHeadersArriveOnTheCheckBackAndEveryAction() {
    String gid = "msg-headers";
    assertSuccess(Api.prepare(dtm, checkedBack(gid).header("X-Tenant", "acme")));
    awaitStatus(dtm, gid, "succeed");
    assertThat(rm.calls(gid)).hasSize(3)
        .allSatisfy(c -> assertThat(c.headers()).containsEntry("x-tenant", "acme"));
  }
}
