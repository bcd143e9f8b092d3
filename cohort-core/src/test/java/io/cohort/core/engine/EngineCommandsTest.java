package io.cohort.core.engine;

import static io.cohort.core.testing.Fixtures.msgCmd;
import static io.cohort.core.testing.Fixtures.opts;
import static io.cohort.core.testing.Fixtures.sagaCmd;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.core.plan.BranchOutcome;
import io.cohort.core.testing.Fixtures;
import io.cohort.core.testing.Harness;
import io.cohort.protocol.BranchOp;
import io.cohort.protocol.CohortException;
import io.cohort.protocol.ErrorCode;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Client and operator commands: prepare, submit, abort, forceStop, resetNextWake. */
class EngineCommandsTest {
  final Harness h = new Harness();

  @AfterEach
  void noIllegalWrites() {
    assertThat(h.recorder.violations()).isEmpty();
  }

  static void assertRefused(ThrowingCallable call, ErrorCode code, String messagePart) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(CohortException.class, e -> assertThat(e.code()).isEqualTo(code))
        .hasMessageContaining(messagePart);
  }

  // ---------------------------------------------------------------- prepare

  @Test
  void prepareCreatesAPreparedMsgDueAtItsCheckBack() {
    Instant now = h.clock.instant();
    Transaction t = h.engine.prepare(msgCmd("m1", 2, TransOptions.DEFAULTS));
    assertThat(t.status()).isEqualTo(GlobalStatus.PREPARED);
    assertThat(t.id()).isPositive();
    assertThat(t.nextWake()).isEqualTo(now.plusSeconds(35));
    assertThat(t.owner()).isEmpty();
    assertThat(t.queryPrepared()).isEqualTo(Fixtures.CHECK_BACK_URL);
    assertThat(t.branches()).extracting(b -> b.branchId() + "/" + b.op()).containsExactly("01/action", "02/action");
    assertThat(h.store.get("m1")).isEqualTo(t);

    Transaction own = h.engine.prepare(msgCmd("m2", 1, opts().timeoutToFail(Duration.ofSeconds(4)).build()));
    assertThat(own.nextWake()).isEqualTo(now.plusSeconds(4));
  }

  @Test
  void prepareIsIdempotentWhileStillPrepared() {
    Transaction first = h.engine.prepare(msgCmd("m1", 1, TransOptions.DEFAULTS));
    h.clock.advance(Duration.ofSeconds(3));
    Transaction again = h.engine.prepare(msgCmd("m1", 1, TransOptions.DEFAULTS));
    assertThat(again).isEqualTo(first);
    assertThat(h.store.size()).isEqualTo(1);
    assertThat(h.store.get("m1").version()).isEqualTo(first.version());
  }

  @Test
  void prepareInAnotherStatusIsAConflict() {
    h.engine.submit(msgCmd("sub", 1, TransOptions.DEFAULTS));
    assertRefused(() -> h.engine.prepare(msgCmd("sub", 1, TransOptions.DEFAULTS)), ErrorCode.FAILURE,
        "current status 'submitted', cannot prepare");

    h.engine.prepare(msgCmd("ab", 1, TransOptions.DEFAULTS));
    h.engine.abort("ab", TransType.MSG, null);
    assertRefused(() -> h.engine.prepare(msgCmd("ab", 1, TransOptions.DEFAULTS)), ErrorCode.FAILURE,
        "current status 'failed', cannot prepare");

    h.submitAndDrive(msgCmd("done", 1, TransOptions.DEFAULTS));
    assertRefused(() -> h.engine.prepare(msgCmd("done", 1, TransOptions.DEFAULTS)), ErrorCode.FAILURE,
        "current status 'succeed', cannot prepare");
  }

  @Test
  void prepareOfASagaIsABadRequest() {
    assertRefused(() -> h.engine.prepare(sagaCmd("s1", 1, TransOptions.DEFAULTS)), ErrorCode.BAD_REQUEST, "saga");
    assertThat(h.store.size()).isZero();
  }

  // ---------------------------------------------------------------- submit

  @Test
  void submitCreatesASubmittedSagaLeasedToThisNode() {
    Instant now = h.clock.instant();
    Engine.Submitted s = h.engine.submit(sagaCmd("s1", 2, opts().requestTimeout(Duration.ofSeconds(7)).build()));
    assertThat(s.drive()).isTrue();
    Transaction t = s.transaction();
    assertThat(t.status()).isEqualTo(GlobalStatus.SUBMITTED);
    assertThat(t.owner()).isEqualTo(Harness.NODE);
    assertThat(t.nextWake()).as("lease = request timeout + margin").isEqualTo(now.plusSeconds(7 + 5));
    assertThat(t.branches()).extracting(b -> b.branchId() + "/" + b.op())
        .containsExactly("01/compensate", "01/action", "02/compensate", "02/action");
    assertThat(h.invoker.received()).as("submit itself calls nobody").isEmpty();
  }

  @Test
  void submitPromotesAPreparedMsgKeepingItsStoredBranches() {
    h.engine.prepare(msgCmd("m1", 2, TransOptions.DEFAULTS));
    // The submit body names other steps: the stored ones are used (DTM semantics).
    Engine.Submitted s = h.engine.submit(msgCmd("m1", 3, TransOptions.DEFAULTS));
    assertThat(s.drive()).isTrue();
    assertThat(s.transaction().status()).isEqualTo(GlobalStatus.SUBMITTED);
    assertThat(s.transaction().branches()).hasSize(2);
    assertThat(h.store.get("m1")).isEqualTo(s.transaction());
  }

  @Test
  void submitOfAPreparedMsgMayOmitItsSteps() {
    h.engine.prepare(msgCmd("m1", 2, TransOptions.DEFAULTS));
    Engine.Submitted s = h.engine.submit(msgCmd("m1", 0, TransOptions.DEFAULTS));
    assertThat(s.drive()).isTrue();
    assertThat(s.transaction().status()).isEqualTo(GlobalStatus.SUBMITTED);
    assertThat(s.transaction().branches()).hasSize(2);
    assertThat(h.engine.drive(s.transaction()).status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(h.invoker.keys()).containsExactly("01/action", "02/action");
  }

  @Test
  void submitOfANewMsgWithoutStepsIsABadRequest() {
    assertRefused(() -> h.engine.submit(msgCmd("m1", 0, TransOptions.DEFAULTS)), ErrorCode.BAD_REQUEST, "steps");
    assertThat(h.store.size()).isZero();
  }

  @Test
  void resubmitWhileARoundHoldsTheLeaseDoesNotStartAnother() {
    Engine.Submitted first = h.engine.submit(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    Engine.Submitted again = h.engine.submit(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    assertThat(again.drive()).isFalse();
    assertThat(again.transaction()).isEqualTo(first.transaction());
    assertThat(h.store.get("s1").version()).isEqualTo(first.transaction().version());
  }

  @Test
  void resubmitOfAnUnleasedSubmittedTransactionTakesItUpAgain() {
    h.invoker.script("01", BranchOp.ACTION, new BranchOutcome.Unreachable("down"));
    Transaction waiting = h.submitAndDrive(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    assertThat(waiting.status()).isEqualTo(GlobalStatus.SUBMITTED);
    assertThat(waiting.owner()).isEmpty();
    Engine.Submitted again = h.engine.submit(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    assertThat(again.drive()).isTrue();
    assertThat(again.transaction().version()).isEqualTo(waiting.version() + 1);
    assertThat(again.transaction().owner()).isEqualTo(Harness.NODE);
    assertThat(h.engine.drive(again.transaction()).status()).isEqualTo(GlobalStatus.SUCCEED);
  }

  @Test
  void resubmitAfterTheLeasePassedIsTakenUp() {
    Engine.Submitted first = h.engine.submit(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    h.clock.advanceTo(first.transaction().nextWake().plusMillis(1));
    Engine.Submitted again = h.engine.submit(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    assertThat(again.drive()).isTrue();
  }

  @Test
  void submitOfAFinishedOrOtherTypeTransactionIsAConflict() {
    h.submitAndDrive(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    assertThat(h.store.get("s1").status()).isEqualTo(GlobalStatus.SUCCEED);
    assertRefused(() -> h.engine.submit(sagaCmd("s1", 1, TransOptions.DEFAULTS)), ErrorCode.FAILURE,
        "current status 'succeed', cannot submit");
    assertRefused(() -> h.engine.submit(msgCmd("s1", 1, TransOptions.DEFAULTS)), ErrorCode.FAILURE, "is a saga");
  }

  // ---------------------------------------------------------------- abort

  @Test
  void abortFailsAPreparedMsgAtOnceWithoutCallingAnyone() {
    h.engine.prepare(msgCmd("m1", 2, TransOptions.DEFAULTS));
    Transaction t = h.engine.abort("m1", TransType.MSG, "business said no").transaction();
    assertThat(t.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(t.rollbackReason()).isEqualTo("business said no");
    assertThat(t.finishTime()).isEqualTo(h.clock.instant());
    assertThat(t.nextWake()).isNull();
    assertThat(h.store.get("m1")).isEqualTo(t);
    assertThat(h.invoker.received()).isEmpty();

    h.engine.prepare(msgCmd("m2", 1, TransOptions.DEFAULTS));
    assertThat(h.engine.abort("m2", TransType.MSG, "").transaction().rollbackReason()).isEqualTo("aborted by client");
  }

  @Test
  void abortOfASubmittedMsgIsAConflict() {
    h.engine.submit(msgCmd("m1", 1, TransOptions.DEFAULTS));
    assertRefused(() -> h.engine.abort("m1", TransType.MSG, null), ErrorCode.FAILURE,
        "current status 'submitted', cannot abort");
    assertThat(h.store.get("m1").status()).isEqualTo(GlobalStatus.SUBMITTED);
  }

  @Test
  void abortOfASagaIsRefused() {
    h.invoker.script("01", BranchOp.ACTION, new BranchOutcome.Unreachable("down"));
    Transaction t = h.submitAndDrive(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    assertRefused(() -> h.engine.abort("s1", TransType.SAGA, null), ErrorCode.FAILURE, "saga cannot be aborted");
    assertThat(h.store.get("s1")).isEqualTo(t);
  }

  @Test
  void abortBadRequestsAndUnknownGid() {
    assertRefused(() -> h.engine.abort("m1", null, null), ErrorCode.BAD_REQUEST, "trans_type");
    assertRefused(() -> h.engine.abort("", TransType.MSG, null), ErrorCode.BAD_REQUEST, "gid");
    h.engine.prepare(msgCmd("m1", 1, TransOptions.DEFAULTS));
    assertRefused(() -> h.engine.abort("m1", TransType.TCC, null), ErrorCode.FAILURE, "is a msg, not a tcc");
    assertRefused(() -> h.engine.abort("nope", TransType.MSG, null), ErrorCode.NOT_FOUND, "nope");
  }

  // ---------------------------------------------------------------- forceStop and reset

  @Test
  void forceStopEndsAnyUnfinishedTransactionAsFailed() {
    h.engine.prepare(msgCmd("prepared", 1, TransOptions.DEFAULTS));
    h.invoker.script("01", BranchOp.ACTION, new BranchOutcome.Unreachable("down"));
    h.submitAndDrive(sagaCmd("submitted", 1, TransOptions.DEFAULTS));
    h.invoker.script("01", BranchOp.ACTION, new BranchOutcome.Failed("no"));
    h.invoker.script("01", BranchOp.COMPENSATE, new BranchOutcome.Unreachable("down"));
    h.submitAndDrive(sagaCmd("aborting", 1, TransOptions.DEFAULTS));
    assertThat(h.store.get("aborting").status()).isEqualTo(GlobalStatus.ABORTING);

    for (String gid : List.of("prepared", "submitted", "aborting")) {
      Transaction t = h.engine.forceStop(gid);
      assertThat(t.status()).as(gid).isEqualTo(GlobalStatus.FAILED);
      assertThat(t.rollbackReason()).as(gid).contains("forceStop");
      assertThat(t.nextWake()).as("nothing is due any more").isNull();
      assertThat(t.owner()).isEmpty();
      assertThat(h.store.get(gid)).isEqualTo(t);
    }
    assertThat(h.store.claimDue(h.clock.instant().plus(Duration.ofDays(1)), 10, "x", h.clock.instant())).isEmpty();
  }

  @Test
  void forceStopOfAFinishedOrUnknownTransactionIsRefused() {
    h.submitAndDrive(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    assertRefused(() -> h.engine.forceStop("s1"), ErrorCode.FAILURE, "current status 'succeed', cannot force stop");
    assertRefused(() -> h.engine.forceStop("nope"), ErrorCode.NOT_FOUND, "nope");
  }

  @Test
  void resetNextWakeMakesAWaitingTransactionDueNow() {
    h.invoker.script("01", BranchOp.ACTION, new BranchOutcome.Unreachable("down"));
    Transaction waiting = h.submitAndDrive(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    Instant now = h.clock.instant();
    assertThat(waiting.nextWake()).isAfter(now);
    Transaction reset = h.engine.resetNextWake("s1");
    assertThat(reset.nextWake()).isEqualTo(now);
    assertThat(reset.owner()).isEmpty();
    assertThat(reset.failures()).isEqualTo(waiting.failures());
    assertThat(h.store.claimDue(now, 10, "scheduler", now.plusSeconds(10))).extracting(Transaction::gid)
        .containsExactly("s1");
  }

  @Test
  void resetNextWakeOfAFinishedTransactionIsRefused() {
    h.submitAndDrive(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    assertRefused(() -> h.engine.resetNextWake("s1"), ErrorCode.FAILURE, "nothing to retry");
    assertRefused(() -> h.engine.resetNextWake("nope"), ErrorCode.NOT_FOUND, "nope");
  }
}
