package io.cohort.core.engine;

import static io.cohort.core.testing.Fixtures.actionUrl;
import static io.cohort.core.testing.Fixtures.bytes;
import static io.cohort.core.testing.Fixtures.compensateUrl;
import static io.cohort.core.testing.Fixtures.msgCmd;
import static io.cohort.core.testing.Fixtures.opts;
import static io.cohort.core.testing.Fixtures.sagaCmd;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.model.Branch;
import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.core.plan.BranchCall;
import io.cohort.core.plan.BranchOutcome;
import io.cohort.core.port.BranchInvoker;
import io.cohort.core.port.EngineListener;
import io.cohort.core.testing.Fixtures;
import io.cohort.core.testing.Harness;
import io.cohort.core.testing.ScriptedInvoker.Received;
import io.cohort.protocol.BranchOp;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Processing rounds: the engine over the test store, the scripted invoker and the manual clock. */
class EngineDriveTest {
  static final BranchOutcome FAIL = new BranchOutcome.Failed("HTTP 409: FAILURE");
  static final BranchOutcome DOWN = new BranchOutcome.Unreachable("connection refused");

  final Harness h = new Harness();
  final List<String> hookErrors = new ArrayList<>();

  @AfterEach
  void noIllegalWrites() {
    assertThat(h.recorder.violations()).isEmpty();
    assertThat(hookErrors).isEmpty();
  }

  void check(boolean ok, String what) {
    if (!ok) {
      hookErrors.add(what);
    }
  }

  @Test
  void sagaRunsEveryActionInOrderToSucceed() {
    Transaction t = h.submitAndDrive(sagaCmd("s1", 3, TransOptions.DEFAULTS));
    assertThat(t.status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(h.store.get("s1")).isEqualTo(t);
    assertThat(h.invoker.keys()).containsExactly("01/action", "02/action", "03/action");
    assertThat(t.branches()).filteredOn(b -> b.op().equals(BranchOp.ACTION))
        .allSatisfy(b -> assertThat(b.status()).isEqualTo(BranchStatus.SUCCEED));
    assertThat(t.branches()).filteredOn(b -> b.op().equals(BranchOp.COMPENSATE))
        .allSatisfy(b -> assertThat(b.status()).isEqualTo(BranchStatus.PREPARED));
    assertThat(t.finishTime()).isEqualTo(h.clock.instant());
    assertThat(t.nextWake()).as("a final transaction is never due").isNull();
    assertThat(t.owner()).isEmpty();
  }

  @Test
  void sagaActionFailureCompensatesAttemptedStepsInReverseAndFails() {
    h.invoker.script("02", BranchOp.ACTION, FAIL);
    Transaction t = h.submitAndDrive(sagaCmd("s1", 3, TransOptions.DEFAULTS));
    assertThat(t.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(t.rollbackReason()).contains("branch 02");
    assertThat(h.invoker.keys()).containsExactly("01/action", "02/action", "02/compensate", "01/compensate");
    assertThat(t.branches().get(3).status()).isEqualTo(BranchStatus.FAILED);
    assertThat(t.branches().get(4).attempts()).as("step 3 never ran, never compensated").isZero();
  }

  @Test
  void aSagaWaitingForRetryIsFinishedByTheScheduler() {
    h.invoker.script("01", BranchOp.ACTION, DOWN, DOWN);
    Transaction t = h.submitAndDrive(sagaCmd("s1", 2, TransOptions.DEFAULTS));
    assertThat(t.status()).isEqualTo(GlobalStatus.SUBMITTED);
    assertThat(t.owner()).as("no lease while waiting").isEmpty();
    assertThat(t.nextWake()).isBetween(h.clock.instant().plusSeconds(8), h.clock.instant().plusSeconds(10));
    assertThat(t.failures()).isEqualTo(1);
    assertThat(t.branches().get(1).lastError()).isEqualTo("connection refused");
    assertThat(h.tick()).as("nothing due before the wake time").hasSize(1);
    assertThat(h.store.get("s1").failures()).isEqualTo(2);
    Transaction fin = h.runToFinal("s1", 5);
    assertThat(fin.status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(h.invoker.keys()).containsExactly("01/action", "01/action", "01/action", "02/action");
  }

  @Test
  void branchCallShapeForSagaActionsAndCompensations() {
    var o = opts().requestTimeout(Duration.ofSeconds(9)).headers(Map.of("Authorization", "Bearer x")).build();
    NewTransaction cmd = new NewTransaction("shape", TransType.SAGA,
        List.of(new NewTransaction.Step(actionUrl(0), compensateUrl(0)),
            new NewTransaction.Step(actionUrl(1), compensateUrl(1))),
        List.of(bytes("{\"amount\":30}"), new byte[0]), "", "", "http", o);
    h.invoker.script("02", BranchOp.ACTION, FAIL);
    h.submitAndDrive(cmd);

    List<Received> calls = h.invoker.received();
    assertThat(calls).extracting(Received::key)
        .containsExactly("01/action", "02/action", "02/compensate", "01/compensate");
    for (Received r : calls) {
      BranchCall c = r.call();
      assertThat(c.gid()).isEqualTo("shape");
      assertThat(c.transType()).isEqualTo("saga");
      assertThat(c.headers()).containsExactly(Map.entry("Authorization", "Bearer x"));
      assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(9));
      int step = Integer.parseInt(c.branchId()) - 1;
      assertThat(c.url()).isEqualTo(c.op().equals(BranchOp.ACTION) ? actionUrl(step) : compensateUrl(step));
      if (step == 0) {
        assertThat(c.post()).as("non-empty payload: POST").isTrue();
        assertThat(new String(c.body())).isEqualTo("{\"amount\":30}");
      } else {
        assertThat(c.post()).as("empty payload: GET").isFalse();
        assertThat(c.body()).isEmpty();
      }
    }
  }

  @Test
  void defaultTimeoutAndNoHeadersWhenNotGiven() {
    h.submitAndDrive(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    BranchCall c = h.invoker.received().get(0).call();
    assertThat(c.timeout()).isEqualTo(Harness.PLAN.requestTimeout());
    assertThat(c.headers()).isEmpty();
  }

  @Test
  void msgCheckBackShape() {
    h.engine.prepare(msgCmd("m1", 1, opts().headers(Map.of("X-Tenant", "t1")).build()));
    h.invoker.script("00", BranchOp.MSG, new BranchOutcome.Ongoing("later"));
    h.tick();
    BranchCall c = h.invoker.received().get(0).call();
    assertThat(c.url()).isEqualTo(Fixtures.CHECK_BACK_URL);
    assertThat(c.post()).as("check-back is a GET").isFalse();
    assertThat(c.body()).isEmpty();
    assertThat(c.branchId()).isEqualTo("00");
    assertThat(c.op()).isEqualTo("msg");
    assertThat(c.transType()).isEqualTo("msg");
    assertThat(c.gid()).isEqualTo("m1");
    assertThat(c.headers()).containsEntry("X-Tenant", "t1");
    assertThat(c.timeout()).isEqualTo(Harness.PLAN.requestTimeout());
    assertThat(h.clock.instant()).as("first check-back at create + timeout_to_fail")
        .isEqualTo(h.store.get("m1").createTime().plusSeconds(35));
  }

  @Test
  void sagaActionDispatchIsDurableBeforeTheCall() {
    h.invoker.onCall(c -> {
      if (c.op().equals(BranchOp.ACTION)) {
        Transaction stored = h.store.get(c.gid());
        int step = Integer.parseInt(c.branchId()) - 1;
        Branch action = stored.branches().get(2 * step + 1);
        check(action.attempts() > 0, "action " + c.branchId() + " called before its dispatch was stored: " + stored);
        check(Harness.NODE.equals(stored.owner()), "called without holding the lease: " + stored);
        check(stored.nextWake() != null && stored.nextWake().isAfter(h.clock.instant()), "lease expired: " + stored);
      }
    });
    h.invoker.script("02", BranchOp.ACTION, DOWN);
    h.submitAndDrive(sagaCmd("s1", 3, opts().order(1, 0).order(2, 0).build()));
    h.runToFinal("s1", 5);
    assertThat(h.invoker.keys()).contains("01/action", "02/action", "03/action");
  }

  @Test
  void abortingIsStoredBeforeAnyCompensationIsCalled() {
    h.invoker.onCall(c -> {
      if (c.op().equals(BranchOp.COMPENSATE)) {
        Transaction stored = h.store.get(c.gid());
        check(stored.status() == GlobalStatus.ABORTING, "compensation called while stored " + stored.status().wire());
        check(stored.branches().get(3).status() == BranchStatus.FAILED,
            "compensation called before the failed action was stored: " + stored.branches());
      }
    });
    h.invoker.script("02", BranchOp.ACTION, FAIL);
    assertThat(h.submitAndDrive(sagaCmd("s1", 2, TransOptions.DEFAULTS)).status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(h.invoker.keys()).contains("02/compensate", "01/compensate");
  }

  @Test
  void checkBackSuccessIsStoredAsSubmittedBeforeAnyActionIsCalled() {
    h.invoker.onCall(c -> {
      if (c.op().equals(BranchOp.ACTION)) {
        GlobalStatus st = h.store.get(c.gid()).status();
        check(st == GlobalStatus.SUBMITTED, "msg action called while stored " + st.wire());
      }
    });
    h.engine.prepare(msgCmd("m1", 2, TransOptions.DEFAULTS));
    h.tick();
    assertThat(h.store.get("m1").status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(h.invoker.keys()).containsExactly("00/msg", "01/action", "02/action");
  }

  @Test
  void aClientAbortDuringTheCheckBackWinsAndNoActionIsDelivered() {
    // The check-back said SUCCESS, but the client's abort was stored first: the round must not deliver.
    h.engine.prepare(msgCmd("m1", 1, TransOptions.DEFAULTS));
    h.invoker.onCall(c -> {
      if (c.op().equals(BranchOp.MSG)) {
        h.newEngine().abort("m1", TransType.MSG, "client gave up");
      }
    });
    List<Transaction> rounds = h.tick();
    assertThat(rounds).singleElement().satisfies(t -> assertThat(t.status()).isEqualTo(GlobalStatus.FAILED));
    assertThat(h.store.get("m1").status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(h.invoker.keys()).containsExactly("00/msg");
  }

  @Test
  void preparedMsgIsCheckedBackThenDelivered() {
    h.engine.prepare(msgCmd("m1", 2, opts().concurrent().build()));
    assertThat(h.tick()).singleElement().satisfies(t -> assertThat(t.status()).isEqualTo(GlobalStatus.SUCCEED));
    assertThat(h.invoker.keys()).containsExactly("00/msg", "01/action", "02/action");
  }

  @Test
  void checkBackFailureFailsTheMsgWithoutDelivering() {
    h.engine.prepare(msgCmd("m1", 2, TransOptions.DEFAULTS));
    h.invoker.script("00", BranchOp.MSG, FAIL);
    Transaction t = h.runToFinal("m1", 3);
    assertThat(t.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(t.rollbackReason()).contains("check-back");
    assertThat(h.invoker.keys()).containsExactly("00/msg");
  }

  @Test
  void submittedMsgRetriesAFailingActionUntilItSucceeds() {
    h.invoker.script("02", BranchOp.ACTION, FAIL, DOWN, FAIL);
    Transaction t = h.submitAndDrive(msgCmd("m1", 3, TransOptions.DEFAULTS));
    assertThat(t.status()).isEqualTo(GlobalStatus.SUBMITTED);
    assertThat(h.runToFinal("m1", 10).status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(h.invoker.keys())
        .containsExactly("01/action", "02/action", "02/action", "02/action", "02/action", "03/action");
  }

  @Test
  void msgDelayHoldsDelivery() {
    Instant created = h.clock.instant();
    Transaction t = h.submitAndDrive(msgCmd("m1", 1, opts().delay(Duration.ofSeconds(60)).build()));
    assertThat(t.status()).isEqualTo(GlobalStatus.SUBMITTED);
    assertThat(t.nextWake()).isEqualTo(created.plusSeconds(60));
    assertThat(h.invoker.received()).isEmpty();
    h.tick();
    assertThat(h.store.get("m1").status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(h.invoker.received()).singleElement()
        .satisfies(r -> assertThat(h.clock.instant()).isEqualTo(created.plusSeconds(60)));
  }

  @Test
  void branchesWithoutUrlSucceedWithoutACall() {
    NewTransaction cmd = new NewTransaction("s1", TransType.SAGA,
        List.of(new NewTransaction.Step("", ""), new NewTransaction.Step(actionUrl(1), "")), List.of(), "", "", "http",
        TransOptions.DEFAULTS);
    h.invoker.script("02", BranchOp.ACTION, FAIL);
    Transaction t = h.submitAndDrive(cmd);
    assertThat(t.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(h.invoker.keys()).containsExactly("02/action");
    assertThat(t.branches()).filteredOn(b -> b.op().equals(BranchOp.COMPENSATE))
        .allSatisfy(b -> assertThat(b.status()).isEqualTo(BranchStatus.SUCCEED));
  }

  @Test
  void anInvokerFutureThatFailsCountsAsUnreachable() {
    BranchInvoker broken = call -> CompletableFuture.failedFuture(new IllegalStateException("pool closed"));
    Engine e = new Engine(h.store, broken, h.clock, h.settings, EngineListener.NONE);
    Engine.Submitted s = e.submit(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    Transaction t = e.drive(s.transaction());
    assertThat(t.status()).isEqualTo(GlobalStatus.SUBMITTED);
    assertThat(t.failures()).isEqualTo(1);
    assertThat(t.branches().get(1).lastError()).contains("invoker error").contains("pool closed");
  }

  @Test
  void aRoundStopsWhenAnotherWriterMovesTheTransactionOn() {
    h.invoker.onCall(c -> {
      if (c.branchId().equals("01")) {
        h.newEngine().forceStop(c.gid());
      }
    });
    Transaction t = h.submitAndDrive(sagaCmd("s1", 3, TransOptions.DEFAULTS));
    assertThat(t.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(t.rollbackReason()).contains("forceStop");
    assertThat(h.invoker.keys()).as("no call after the stop was seen").containsExactly("01/action");
  }

  @Test
  void theListenerHearsEveryDurableWrite() {
    List<Transaction> heard = new ArrayList<>();
    Engine e = new Engine(h.store, h.invoker, h.clock, h.settings, heard::add);
    h.invoker.script("01", BranchOp.ACTION, FAIL);
    e.drive(e.submit(sagaCmd("s1", 1, TransOptions.DEFAULTS)).transaction());
    assertThat(heard).isNotEmpty();
    assertThat(heard.get(heard.size() - 1)).isEqualTo(h.store.get("s1"));
    assertThat(heard).extracting(Transaction::version).isSorted().doesNotHaveDuplicates();
    assertThat(heard.size()).isEqualTo(h.store.writes());
  }
}
