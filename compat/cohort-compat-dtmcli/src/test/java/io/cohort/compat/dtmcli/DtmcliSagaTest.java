package io.cohort.compat.dtmcli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.compat.dtmcli.Participant.Call;
import io.cohort.compat.dtmcli.Participant.Reply;
import java.util.List;
import org.junit.jupiter.api.Test;
import pub.dtm.client.exception.FailureException;
import pub.dtm.client.saga.Saga;

/**
 * Saga through dtmcli-java's builder: {@code newSaga().add(action, compensate, body)...submit()}. The SDK only submits
 * (one {@code POST /api/dtmsvr/submit} with steps and payloads); every branch call comes from Cohort.
 */
class DtmcliSagaTest extends DtmcliTestBase {
  private static final String OUT_JSON = "{\"account\":\"alice\",\"amount\":30}";
  private static final String IN_JSON = "{\"account\":\"bob\",\"amount\":30}";

  private Saga transfer(Saga saga) {
    return saga
        .add(bankA.url("/TransOut"), bankA.url("/TransOutCompensate"), new Transfer("alice", 30))
        .add(bankB.url("/TransIn"), bankB.url("/TransInCompensate"), new Transfer("bob", 30));
  }

  @Test
  void waitResultSubmitReturnsOnceBothActionsRanInOrderWithTheirPayloads() throws Exception {
    // newSaga() without a gid: the SDK gets one from GET /api/dtmsvr/newGid.
    String gid = transfer(client.newSaga()).enableWaitResult().submit();

    assertThat(gid).isNotBlank();
    // wait_result: the first round ran inside the submit call, so the outcome is already there, no polling.
    assertThat(cohort.status(gid)).isEqualTo("succeed");
    assertThat(log.briefs(gid)).containsExactly(
        "bank-a POST /TransOut action 01 saga",
        "bank-b POST /TransIn action 02 saga");
    assertThat(log.forGid(gid)).extracting(Call::body).containsExactly(OUT_JSON, IN_JSON);
  }

  @Test
  void asyncSubmitSucceedsInTheBackground() throws Exception {
    String gid = gid("dtmcli-saga-async");
    assertThat(transfer(client.newSaga(gid)).submit()).isEqualTo(gid);

    awaitStatus(gid, "succeed");
    assertThat(log.briefs(gid)).containsExactly(
        "bank-a POST /TransOut action 01 saga",
        "bank-b POST /TransIn action 02 saga");
    assertThat(log.forGid(gid)).extracting(Call::body).containsExactly(OUT_JSON, IN_JSON);
  }

  @Test
  void secondActionFailsThenBothStepsAreCompensatedInReverseOrder() {
    String gid = gid("dtmcli-saga-compensate");
    bankB.answer("/TransIn", Reply.FAILURE);

    // With wait_result the coordinator answers 409 for a saga that ended failed; Feign turns that into an
    // exception, which the SDK rethrows as FailureException (against DTM as against Cohort).
    assertThatThrownBy(() -> transfer(client.newSaga(gid)).enableWaitResult().submit())
        .isInstanceOf(FailureException.class);

    awaitStatus(gid, "failed");
    // The failed action's step is compensated too (DTM does; a barrier makes it a null compensation).
    assertThat(log.briefs(gid)).containsExactly(
        "bank-a POST /TransOut action 01 saga",
        "bank-b POST /TransIn action 02 saga",
        "bank-b POST /TransInCompensate compensate 02 saga",
        "bank-a POST /TransOutCompensate compensate 01 saga");
    // A compensation receives the same payload as its action.
    assertThat(log.forGid(gid)).extracting(Call::body).containsExactly(OUT_JSON, IN_JSON, IN_JSON, OUT_JSON);
  }

  @Test
  void asyncSubmitOfAFailingSagaIsAcceptedAndCompensatedInTheBackground() throws Exception {
    String gid = gid("dtmcli-saga-compensate-async");
    bankA.answer("/TransOut", Reply.FAILURE);

    transfer(client.newSaga(gid)).submit();

    awaitStatus(gid, "failed");
    // Step 2 never started, so only step 1 (whose action failed) is compensated.
    assertThat(log.briefs(gid)).containsExactly(
        "bank-a POST /TransOut action 01 saga",
        "bank-a POST /TransOutCompensate compensate 01 saga");
    assertThat(cohort.query(gid).at("/transaction/rollback_reason").asText()).isNotEmpty();
  }

  @Test
  void concurrentSagaHonoursBranchOrders() throws Exception {
    // Steps 0 and 1 may run together; step 2 only after both (custom_data {"orders":{"2":[0,1]},"concurrent":true}).
    String gid = gid("dtmcli-saga-concurrent");
    Saga saga = transfer(client.newSaga(gid))
        .add(bankA.url("/Notify"), bankA.url("/NotifyCompensate"), new Transfer("carol", 0))
        .enableConcurrent()
        .addBranchOrder(2, List.of(0, 1))
        .enableWaitResult();

    saga.submit();

    assertThat(cohort.status(gid)).isEqualTo("succeed");
    List<String> briefs = log.briefs(gid);
    assertThat(briefs).containsExactlyInAnyOrder(
        "bank-a POST /TransOut action 01 saga",
        "bank-b POST /TransIn action 02 saga",
        "bank-a POST /Notify action 03 saga");
    assertThat(briefs.getLast()).isEqualTo("bank-a POST /Notify action 03 saga");
  }

  @Test
  void branchHeadersReachTheParticipants() throws Exception {
    // Saga.setBranchHeaders(Map) recurses into itself in 2.1.5 (StackOverflowError), so use the Lombok getter's map.
    String gid = gid("dtmcli-saga-headers");
    Saga saga = transfer(client.newSaga(gid)).enableWaitResult();
    saga.getBranchHeaders().put("X-Tenant", "acme");

    saga.submit();

    assertThat(cohort.status(gid)).isEqualTo("succeed");
    assertThat(log.forGid(gid)).hasSize(2)
        .allSatisfy(c -> assertThat(c.headers()).containsEntry("x-tenant", "acme"));
  }
}
