package io.cohort.core.plan;

import static io.cohort.core.testing.Fixtures.opts;
import static io.cohort.core.testing.Fixtures.phaseTwo;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The TCC and XA planner, purely: timeout of a prepared transaction, phase-2 order, must-succeed retries. */
class PhaseTwoPlannerTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final PlanSettings S = PlanSettings.DEFAULTS; // timeoutToFail 35 s, retryInterval 10 s
  static final BranchOutcome OK = BranchOutcome.SUCCEEDED;
  static final BranchOutcome FAIL = new BranchOutcome.Failed("HTTP 409: FAILURE");
  static final BranchOutcome ONGOING = new BranchOutcome.Ongoing("HTTP 425: ONGOING");
  static final BranchOutcome DOWN = new BranchOutcome.Unreachable("HTTP 502");

  /** Runs phase two to the end with every call succeeding; returns "branchId/op" in call order. */
  static List<String> callOrder(PhaseTwoPlanner planner, Transaction t) {
    List<String> calls = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      Plan p = planner.plan(t, T0, S);
      if (p instanceof Plan.Write w) {
        t = w.next();
        if (t.isFinal()) {
          return calls;
        }
        continue;
      }
      Plan.Call c = (Plan.Call) p;
      assertThat(c.branches()).as("one phase-2 call at a time").hasSize(1);
      assertThat(c.durableFirst()).as("phase-2 calls need no durable dispatch").isFalse();
      var b = c.marked().branches().get(c.branches().get(0));
      calls.add(b.branchId() + "/" + b.op());
      Applied a = planner.apply(c.marked(), c.branches(), List.of(OK), T0, S);
      assertThat(a.retryAt()).isNull();
      t = a.next();
    }
    throw new AssertionError("did not finish");
  }

  @Test
  void tccConfirmsFromTheLastRegisteredBranchToTheFirst() {
    Transaction t = phaseTwo(TransType.TCC, TransOptions.DEFAULTS, GlobalStatus.SUBMITTED, T0, "01", "0101", "02");
    assertThat(callOrder(PhaseTwoPlanner.tcc(), t)).containsExactly("02/confirm", "0101/confirm", "01/confirm");
  }

  @Test
  void tccCancelsFromTheLastRegisteredBranchToTheFirst() {
    Transaction t = phaseTwo(TransType.TCC, TransOptions.DEFAULTS, GlobalStatus.ABORTING, T0, "01", "0101", "02");
    assertThat(callOrder(PhaseTwoPlanner.tcc(), t)).containsExactly("02/cancel", "0101/cancel", "01/cancel");
  }

  @Test
  void xaCommitsAndRollsBackInRegistrationOrder() {
    Transaction submitted = phaseTwo(TransType.XA, TransOptions.DEFAULTS, GlobalStatus.SUBMITTED, T0, "01", "02");
    assertThat(callOrder(PhaseTwoPlanner.xa(), submitted)).containsExactly("01/commit", "02/commit");
    Transaction aborting = phaseTwo(TransType.XA, TransOptions.DEFAULTS, GlobalStatus.ABORTING, T0, "01", "02");
    assertThat(callOrder(PhaseTwoPlanner.xa(), aborting)).containsExactly("01/rollback", "02/rollback");
  }

  @Test
  void outcomeWithoutBranchesIsImmediate() {
    Transaction submitted = phaseTwo(TransType.TCC, TransOptions.DEFAULTS, GlobalStatus.SUBMITTED, T0);
    Plan p = PhaseTwoPlanner.tcc().plan(submitted, T0, S);
    assertThat(((Plan.Write) p).next().status()).isEqualTo(GlobalStatus.SUCCEED);
    Transaction aborting = phaseTwo(TransType.XA, TransOptions.DEFAULTS, GlobalStatus.ABORTING, T0);
    assertThat(((Plan.Write) PhaseTwoPlanner.xa().plan(aborting, T0, S)).next().status())
        .isEqualTo(GlobalStatus.FAILED);
  }

  @Test
  void preparedSleepsUntilItsTimeoutThenAborts() {
    PhaseTwoPlanner planner = PhaseTwoPlanner.tcc();
    Transaction byDefault = phaseTwo(TransType.TCC, TransOptions.DEFAULTS, GlobalStatus.PREPARED, T0, "01");
    assertThat(planner.plan(byDefault, T0.plusSeconds(34), S)).isEqualTo(new Plan.Sleep(T0.plusSeconds(35)));
    Plan timeout = planner.plan(byDefault, T0.plusSeconds(35), S);
    Transaction aborting = ((Plan.Write) timeout).next();
    assertThat(aborting.status()).isEqualTo(GlobalStatus.ABORTING);
    assertThat(aborting.rollbackReason()).isEqualTo("Timeout after 35 seconds");

    Transaction own = phaseTwo(TransType.XA, opts().timeoutToFail(Duration.ofSeconds(3)).build(),
        GlobalStatus.PREPARED, T0, "01");
    assertThat(PhaseTwoPlanner.xa().plan(own, T0, S)).isEqualTo(new Plan.Sleep(T0.plusSeconds(3)));
    assertThat(((Plan.Write) PhaseTwoPlanner.xa().plan(own, T0.plusSeconds(3), S)).next().rollbackReason())
        .isEqualTo("Timeout after 3 seconds");
  }

  @Test
  void failureOfAConfirmIsRetriedNotRecorded() {
    PhaseTwoPlanner planner = PhaseTwoPlanner.tcc();
    Transaction t = phaseTwo(TransType.TCC, TransOptions.DEFAULTS, GlobalStatus.SUBMITTED, T0, "01");
    Plan.Call c = (Plan.Call) planner.plan(t, T0, S);
    Applied a = planner.apply(c.marked(), c.branches(), List.of(FAIL), T0, S);
    assertThat(a.next().status()).as("a stored decision never changes").isEqualTo(GlobalStatus.SUBMITTED);
    var confirm = a.next().branches().get(1);
    assertThat(confirm.status()).isEqualTo(BranchStatus.PREPARED);
    assertThat(confirm.lastError()).contains("FAILURE");
    assertThat(confirm.attempts()).isEqualTo(1);
    assertThat(a.retryAt()).isNotNull().isAfter(T0);
    // The next plan calls the same confirm again.
    Plan.Call again = (Plan.Call) planner.plan(a.next(), a.retryAt(), S);
    assertThat(again.branches()).containsExactly(1);
  }

  @Test
  void errorsBackOffAndOngoingKeepsTheInterval() {
    PhaseTwoPlanner planner = PhaseTwoPlanner.xa();
    Transaction t = phaseTwo(TransType.XA, TransOptions.DEFAULTS, GlobalStatus.ABORTING, T0, "01");
    Instant now = T0;
    Duration previous = null;
    for (int i = 0; i < 3; i++) {
      Plan.Call c = (Plan.Call) planner.plan(t, now, S);
      Applied a = planner.apply(c.marked(), c.branches(), List.of(DOWN), now, S);
      Duration interval = a.next().retryInterval();
      if (previous != null) {
        assertThat(interval).isEqualTo(previous.multipliedBy(2));
      }
      previous = interval;
      t = a.next();
      now = a.retryAt();
    }
    Plan.Call c = (Plan.Call) planner.plan(t, now, S);
    Applied ongoing = planner.apply(c.marked(), c.branches(), List.of(ONGOING), now, S);
    assertThat(ongoing.next().retryInterval()).isEqualTo(previous);
    assertThat(ongoing.retryAt()).isEqualTo(now.plus(previous));
    Plan.Call last = (Plan.Call) planner.plan(ongoing.next(), ongoing.retryAt(), S);
    Applied done = planner.apply(last.marked(), last.branches(), List.of(OK), ongoing.retryAt(), S);
    assertThat(done.retryAt()).isNull();
    assertThat(done.next().failures()).as("success resets the backoff").isZero();
  }

  @Test
  void finalTransactionsPlanNothing() {
    for (GlobalStatus s : List.of(GlobalStatus.SUCCEED, GlobalStatus.FAILED)) {
      Transaction t = phaseTwo(TransType.TCC, TransOptions.DEFAULTS, s, T0, "01");
      assertThat(PhaseTwoPlanner.tcc().plan(t, T0, S)).isInstanceOf(Plan.Done.class);
    }
  }
}
