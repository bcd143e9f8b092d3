package io.cohort.server.api;

import static io.cohort.server.api.Api.assertFailure;
import static io.cohort.server.api.Api.assertSuccess;
import static io.cohort.server.api.Api.awaitStatus;
import static io.cohort.server.api.Api.brief;
import static io.cohort.server.api.Api.callsTo;
import static io.cohort.server.api.Api.eventually;
import static io.cohort.server.api.Api.full;
import static io.cohort.server.api.Api.millisBetween;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.server.support.CoordinatorTest;
import io.cohort.server.support.Participant;
import io.cohort.server.support.Participant.Reply;
import io.cohort.server.support.TestCoordinator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sagas end to end: a real coordinator calling a real participant over loopback HTTP (reference 1.4, 2.1-2.4). */
class SagaApiTest extends CoordinatorTest {
  private Tx threeSteps(String gid) {
    return Tx.saga(gid)
        .step(rm.url("/a1"), rm.url("/c1"))
        .step(rm.url("/a2"), rm.url("/c2"))
        .step(rm.url("/a3"), rm.url("/c3"));
  }

  @Test
  void sequentialSagaCallsEveryActionInOrderPostWithPayloadGetWithout() {
    String gid = "saga-seq";
    var a = Api.submit(dtm, threeSteps(gid).payloads("{\"amount\":30}", "", "[1,2]").waitResult());
    assertSuccess(a);
    assertThat(rm.calls(gid)).extracting(Api::full).containsExactly(
        "/a1 POST gid=saga-seq trans_type=saga branch_id=01 op=action body={\"amount\":30}",
        "/a2 GET gid=saga-seq trans_type=saga branch_id=02 op=action body=",
        "/a3 POST gid=saga-seq trans_type=saga branch_id=03 op=action body=[1,2]");
    for (Participant.Call c : rm.calls(gid)) {
      assertThat(c.headers().get("content-type")).as(full(c)).isEqualTo("application/json");
    }
    JsonNode q = Api.query(dtm, gid);
    assertThat(q.at("/transaction/status").asText()).isEqualTo("succeed");
    assertThat(q.at("/transaction/finish_time").isTextual()).isTrue();
    assertThat(q.at("/transaction/rollback_reason").isMissingNode()).isTrue();
    // compensate rows first, then action rows, per step (DTM's layout); every action succeeded, no compensation ran
    assertThat(q.get("branches")).extracting(b -> b.get("branch_id").asText() + " " + b.get("op").asText() + " "
        + b.get("status").asText()).containsExactly(
            "01 compensate prepared", "01 action succeed",
            "02 compensate prepared", "02 action succeed",
            "03 compensate prepared", "03 action succeed");
  }

  @Test
  void existingQueryStringOnABranchUrlIsKeptAndTheDtmParametersAdded() {
    String gid = "saga-qs";
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step(rm.url("/a?tenant=7"), rm.url("/c")).waitResult()));
    assertThat(rm.calls(gid)).extracting(Api::full)
        .containsExactly("/a GET gid=saga-qs trans_type=saga branch_id=01 op=action body=");
  }

  @Test
  void failedActionCompensatesInReverseIncludingTheFailedStepButNeverAStepNotAttempted() {
    String gid = "saga-fail";
    rm.on("/a2", Reply.failure());
    var a = Api.submit(dtm, threeSteps(gid).payloads("{\"n\":1}", "{\"n\":2}", "{\"n\":3}").waitResult());
    JsonNode q = Api.query(dtm, gid);
    String reason = q.at("/transaction/rollback_reason").asText();
    assertFailure(a, reason);
    assertThat(a.json().get("message").asText()).isEqualTo(reason);
    assertThat(reason).startsWith("branch 02 action failed");
    assertThat(q.at("/transaction/status").asText()).isEqualTo("failed");
    assertThat(q.at("/transaction/rollback_time").isTextual()).isTrue();
    assertThat(rm.calls(gid)).extracting(Api::full).containsExactly(
        "/a1 POST gid=saga-fail trans_type=saga branch_id=01 op=action body={\"n\":1}",
        "/a2 POST gid=saga-fail trans_type=saga branch_id=02 op=action body={\"n\":2}",
        "/c2 POST gid=saga-fail trans_type=saga branch_id=02 op=compensate body={\"n\":2}",
        "/c1 POST gid=saga-fail trans_type=saga branch_id=01 op=compensate body={\"n\":1}");
    assertThat(q.get("branches")).extracting(b -> b.get("branch_id").asText() + " " + b.get("op").asText() + " "
        + b.get("status").asText()).containsExactly(
            "01 compensate succeed", "01 action succeed",
            "02 compensate succeed", "02 action failed",
            "03 compensate prepared", "03 action prepared");
  }

  @Test
  void failureOfTheFirstActionCompensatesOnlyThatStep() {
    String gid = "saga-fail-first";
    rm.on("/a1", Reply.failure());
    assertFailure(Api.submit(dtm, threeSteps(gid).waitResult()), "branch 01 action failed");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/a1 GET 01 action", "/c1 GET 01 compensate");
  }

  @Test
  void aTwoHundredWhoseBodySaysFailureIsAFailure() {
    String gid = "saga-200-failure";
    rm.on("/a2", new Reply(200, "{\"dtm_result\":\"FAILURE\"}", 0));
    assertFailure(Api.submit(dtm, threeSteps(gid).waitResult()), "branch 02 action failed");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly(
        "/a1 GET 01 action", "/a2 GET 02 action", "/c2 GET 02 compensate", "/c1 GET 01 compensate");
  }

  @Test
  void compensationAnsweringFailureIsRetriedUntilItSucceeds() {
    String gid = "saga-comp-retry";
    rm.on("/a2", Reply.failure());
    rm.on("/c1", c -> rm.count(gid, "01", "compensate") < 3 ? Reply.failure() : Reply.ok());
    Api.submit(dtm, threeSteps(gid));
    awaitStatus(dtm, gid, "failed");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/a1 GET 01 action", "/a2 GET 02 action",
        "/c2 GET 02 compensate", "/c1 GET 01 compensate", "/c1 GET 01 compensate", "/c1 GET 01 compensate");
  }

  @Test
  void concurrentSagaFollowsTheOrdersDagForwardAndBackward() {
    String gid = "saga-dag";
    // Step 0 takes a second and step 1 says ONGOING once: step 2 must wait for both to have succeeded.
    rm.on("/a1", Reply.ok().after(1000));
    rm.on("/a2", c -> rm.count(gid, "02", "action") == 1 ? Reply.ongoing() : Reply.ok());
    // Step 2 fails, so everything compensates; step 2's compensation takes a second, and 0 and 1 must wait for it.
    rm.on("/a3", Reply.failure());
    rm.on("/c3", Reply.ok().after(1000));
    Api.submit(dtm, threeSteps(gid).customData("{\"concurrent\":true,\"orders\":{\"2\":[0,1]}}"));
    JsonNode q = awaitStatus(dtm, gid, "failed");
    assertThat(q.at("/transaction/rollback_reason").asText()).startsWith("branch 03 action failed");

    Participant.Call a1 = callsTo(rm, gid, "/a1").getFirst();
    List<Participant.Call> a2 = callsTo(rm, gid, "/a2");
    Participant.Call a3 = callsTo(rm, gid, "/a3").getFirst();
    assertThat(callsTo(rm, gid, "/a1")).hasSize(1);
    assertThat(a2).hasSize(2);
    assertThat(callsTo(rm, gid, "/a3")).hasSize(1);
    // 0 and 1 ran concurrently: step 1 was called while step 0 was still working on its second
    assertThat(Math.abs(millisBetween(a1, a2.getFirst()))).isLessThan(1000);
    // 2 only after 0 answered and after 1's successful second attempt
    assertThat(millisBetween(a1, a3)).isGreaterThanOrEqualTo(1000);
    assertThat(a3.atNanos()).isGreaterThan(a2.get(1).atNanos());

    Participant.Call c3 = callsTo(rm, gid, "/c3").getFirst();
    Participant.Call c1 = callsTo(rm, gid, "/c1").getFirst();
    Participant.Call c2 = callsTo(rm, gid, "/c2").getFirst();
    assertThat(millisBetween(c3, c1)).isGreaterThanOrEqualTo(1000);
    assertThat(millisBetween(c3, c2)).isGreaterThanOrEqualTo(1000);
    assertThat(rm.calls(gid).stream().filter(c -> c.op().equals("compensate")).map(Api::brief))
        .containsExactlyInAnyOrder("/c3 GET 03 compensate", "/c1 GET 01 compensate", "/c2 GET 02 compensate");
  }

  @Test
  void concurrentSagaWithoutOrdersRunsAllActionsAtOnce() {
    String gid = "saga-concurrent";
    rm.on("/a1", Reply.ok().after(1000));
    rm.on("/a2", Reply.ok().after(1000));
    rm.on("/a3", Reply.ok().after(1000));
    assertSuccess(Api.submit(dtm, threeSteps(gid).customData("{\"concurrent\":true}").waitResult()));
    List<Participant.Call> calls = rm.calls(gid);
    assertThat(calls).extracting(Api::brief).containsExactlyInAnyOrder(
        "/a1 GET 01 action", "/a2 GET 02 action", "/a3 GET 03 action");
    // one after another would take at least a second between the first and the last call
    assertThat(millisBetween(calls.getFirst(), calls.getLast())).isLessThan(1000);
  }

  @Test
  void retryLimitAbortsAfterLimitPlusOneAttempts() {
    String gid = "saga-retry-limit";
    rm.on("/a2", Reply.error());
    Api.submit(dtm, threeSteps(gid).put("retry_limit", 2));
    JsonNode q = awaitStatus(dtm, gid, "failed");
    assertThat(q.at("/transaction/rollback_reason").asText()).startsWith("retry limit 2 reached for branch 02");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly(
        "/a1 GET 01 action",
        "/a2 GET 02 action", "/a2 GET 02 action", "/a2 GET 02 action",
        "/c2 GET 02 compensate", "/c1 GET 01 compensate");
  }

  @Test
  void timeoutToFailAbortsASagaStuckOnOngoing() {
    String gid = "saga-ttf";
    rm.on("/a2", Reply.ongoing());
    long t0 = System.nanoTime();
    Api.submit(dtm, threeSteps(gid).put("timeout_to_fail", 1));
    JsonNode q = awaitStatus(dtm, gid, "failed");
    assertThat(q.at("/transaction/rollback_reason").asText()).isEqualTo("Timeout after 1 seconds");
    List<Participant.Call> calls = rm.calls(gid);
    assertThat(calls.stream().filter(c -> c.path().equals("/a2")).count()).isGreaterThanOrEqualTo(2);
    assertThat(calls.subList(calls.size() - 2, calls.size())).extracting(Api::brief)
        .containsExactly("/c2 GET 02 compensate", "/c1 GET 01 compensate");
    assertThat(callsTo(rm, gid, "/a3")).isEmpty();
    assertThat(callsTo(rm, gid, "/c3")).isEmpty();
    long abortedAfter = (callsTo(rm, gid, "/c2").getFirst().atNanos() - t0) / 1_000_000;
    assertThat(abortedAfter).isGreaterThanOrEqualTo(1000);
  }

  @Test
  void sagaWithoutTimeoutToFailKeepsRetryingOngoing() {
    String gid = "saga-no-ttf";
    rm.on("/a1", c -> rm.count(gid, "01", "action") <= 12 ? Reply.ongoing() : Reply.ok());
    Api.submit(dtm, Tx.saga(gid).step(rm.url("/a1"), rm.url("/c1")));
    awaitStatus(dtm, gid, "succeed");
    assertThat(callsTo(rm, gid, "/a1")).hasSize(13);
    assertThat(callsTo(rm, gid, "/c1")).isEmpty();
  }

  @Test
  void requestTimeoutCutsASlowParticipantAndTheCallIsRetried() {
    String gid = "saga-request-timeout";
    rm.on("/a1", c -> rm.count(gid, "01", "action") == 1 ? Reply.ok().after(5000) : Reply.ok());
    long t0 = System.nanoTime();
    Api.submit(dtm, Tx.saga(gid).step(rm.url("/a1"), rm.url("/c1")).put("request_timeout", 1));
    JsonNode q = awaitStatus(dtm, gid, "succeed");
    List<Participant.Call> calls = callsTo(rm, gid, "/a1");
    assertThat(calls).hasSize(2);
    // the retry came after the 1 s timeout, well before the slow answer would have arrived
    long retriedAfter = millisBetween(calls.get(0), calls.get(1));
    assertThat(retriedAfter).isBetween(1000L, 4500L);
    assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(1000);
    assertThat(q.at("/transaction/request_timeout").asInt()).isEqualTo(1);
  }

  @Test
  void retryIntervalIsTheFixedIntervalAfterOngoingAndDoublesAfterErrors() throws Exception {
    dtm.close();
    dtm = TestCoordinator.inMemory(Map.of("engine.max-retry-interval", "10s")); // the fast default caps at 1 s
    String gid = "saga-retry-interval";
    rm.on("/a1", c -> rm.count(gid, "01", "action") == 1 ? Reply.ongoing() : Reply.ok());
    rm.on("/a2", c -> rm.count(gid, "02", "action") <= 2 ? Reply.error() : Reply.ok());
    Api.submit(dtm, Tx.saga(gid).step(rm.url("/a1"), rm.url("/c1")).step(rm.url("/a2"), rm.url("/c2"))
        .put("retry_interval", 1));
    awaitStatus(dtm, gid, "succeed");
    List<Participant.Call> a1 = callsTo(rm, gid, "/a1");
    List<Participant.Call> a2 = callsTo(rm, gid, "/a2");
    assertThat(a1).hasSize(2);
    assertThat(a2).hasSize(3);
    // ONGOING: the interval as given (1 s), not the server's 200 ms
    assertThat(millisBetween(a1.get(0), a1.get(1))).isBetween(990L, 1590L);
    // errors: the base interval, then double it (each scaled by a jitter in [0.8, 1])
    long first = millisBetween(a2.get(0), a2.get(1));
    long second = millisBetween(a2.get(1), a2.get(2));
    assertThat(first).isBetween(790L, 1590L);
    assertThat(second).isBetween(1590L, 4000L);
  }

  @Test
  void branchHeadersArriveOnEveryActionAndCompensation() {
    String gid = "saga-headers";
    rm.on("/a2", Reply.failure());
    Api.submit(dtm, threeSteps(gid).header("X-Tenant", "t-42").header("Authorization", "Bearer abc").waitResult());
    List<Participant.Call> calls = rm.calls(gid);
    assertThat(calls).extracting(Api::brief).containsExactly(
        "/a1 GET 01 action", "/a2 GET 02 action", "/c2 GET 02 compensate", "/c1 GET 01 compensate");
    for (Participant.Call c : calls) {
      assertThat(c.headers()).as(brief(c)).containsEntry("x-tenant", "t-42").containsEntry("authorization", "Bearer abc");
      assertThat(c.headers().get("content-type")).as(brief(c)).isEqualTo("application/json");
    }
  }

  @Test
  void withoutWaitResultSubmitReturnsAtOnceAndTheSagaFinishesInTheBackground() {
    String gid = "saga-async";
    rm.on("/a1", Reply.ok().after(3000));
    long t0 = System.nanoTime();
    assertSuccess(Api.submit(dtm, threeSteps(gid).put("request_timeout", 10)));
    long took = (System.nanoTime() - t0) / 1_000_000;
    assertThat(took).isLessThan(3000);
    assertThat(dtm.status(gid)).isEqualTo("submitted");
    awaitStatus(dtm, gid, "succeed");
    assertThat(rm.calls(gid)).extracting(Api::brief)
        .containsExactly("/a1 GET 01 action", "/a2 GET 02 action", "/a3 GET 03 action");
  }

  @Test
  void waitResultOnASagaThatCannotFinishInTheFirstRoundIs409AndItCarriesOn() {
    String gid = "saga-wait-ongoing";
    rm.on("/a1", c -> rm.count(gid, "01", "action") == 1 ? Reply.ongoing() : Reply.ok());
    var a = Api.submit(dtm, Tx.saga(gid).step(rm.url("/a1"), rm.url("/c1")).waitResult());
    assertFailure(a, "wait result not return success");
    awaitStatus(dtm, gid, "succeed");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/a1 GET 01 action", "/a1 GET 01 action");
  }

  @Test
  void emptyUrlStepsSucceedWithoutACall() {
    String gid = "saga-empty";
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step("", "").step(rm.url("/a2"), "").step("", "").waitResult()));
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/a2 GET 02 action");
    assertThat(Api.query(dtm, gid).get("branches")).allSatisfy(b -> {
      if (b.get("op").asText().equals("action")) {
        assertThat(b.get("status").asText()).isEqualTo("succeed");
      }
    });
  }

  @Test
  void emptyCompensationUrlCountsAsCompensated() {
    String gid = "saga-empty-comp";
    rm.on("/a2", Reply.failure());
    var a = Api.submit(dtm, Tx.saga(gid).step(rm.url("/a1"), "").step(rm.url("/a2"), rm.url("/c2")).waitResult());
    assertFailure(a, "branch 02 action failed");
    assertThat(rm.calls(gid)).extracting(Api::brief)
        .containsExactly("/a1 GET 01 action", "/a2 GET 02 action", "/c2 GET 02 compensate");
    assertThat(dtm.status(gid)).isEqualTo("failed");
  }

  @Test
  void resubmittingARunningSagaIsIdempotentAndAFinishedOneIs409() {
    String gid = "saga-resubmit";
    rm.on("/a1", Reply.ok().after(2000));
    Tx tx = threeSteps(gid);
    assertSuccess(Api.submit(dtm, tx));
    assertSuccess(Api.submit(dtm, tx));
    assertSuccess(Api.submit(dtm, tx));
    awaitStatus(dtm, gid, "succeed");
    // the resubmits found the saga in the hands of its first round and did not start another
    assertThat(rm.calls(gid)).extracting(Api::brief)
        .containsExactly("/a1 GET 01 action", "/a2 GET 02 action", "/a3 GET 03 action");
    var again = Api.submit(dtm, tx);
    assertFailure(again, "current status 'succeed', cannot submit");
    assertThat(rm.calls(gid)).hasSize(3);
    assertThat(Api.query(dtm, gid).at("/transaction/status").asText()).isEqualTo("succeed");
  }

  @Test
  void resubmittingAFailedSagaIs409() {
    String gid = "saga-resubmit-failed";
    rm.on("/a1", Reply.failure());
    Tx tx = Tx.saga(gid).step(rm.url("/a1"), rm.url("/c1"));
    assertFailure(Api.submit(dtm, tx.waitResult()), "branch 01 action failed");
    assertFailure(Api.submit(dtm, tx), "current status 'failed', cannot submit");
    assertThat(rm.calls(gid)).hasSize(2);
  }

  @Test
  void resubmittingASagaGidAsAMsgIs409() {
    String gid = "saga-then-msg";
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step("", "").waitResult()));
    assertFailure(Api.submit(dtm, Tx.msg(gid).step(rm.url("/m"))), "is a saga, not a msg");
    assertThat(rm.calls(gid)).isEmpty();
  }

  @Test
  void anUnreachableParticipantIsRetriedAndNeverAbortsTheSaga() throws Exception {
    String gid = "saga-unreachable";
    Participant later = new Participant();
    String url = later.url("/a1");
    later.close();
    Api.submit(dtm, Tx.saga(gid).step(url, url));
    eventually().until(() -> {
      JsonNode b = Api.query(dtm, gid).get("branches").get(1);
      return b.has("attempts") && b.get("attempts").asInt() >= 2;
    });
    JsonNode action = Api.query(dtm, gid).get("branches").get(1);
    assertThat(action.get("status").asText()).isEqualTo("prepared");
    assertThat(action.get("last_error").asText()).isNotEmpty();
    assertThat(dtm.status(gid)).isEqualTo("submitted");
  }
}
