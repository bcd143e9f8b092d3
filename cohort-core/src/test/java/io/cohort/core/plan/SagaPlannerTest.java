package io.cohort.core.plan;

import static io.cohort.core.plan.SagaPlanner.actionIndex;
import static io.cohort.core.plan.SagaPlanner.compensateIndex;
import static io.cohort.core.testing.Fixtures.opts;
import static io.cohort.core.testing.Fixtures.saga;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.model.Branch;
import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The saga planner, purely: transactions in, plans out, explicit instants. */
class SagaPlannerTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final PlanSettings S = PlanSettings.DEFAULTS;
  static final BranchOutcome OK = BranchOutcome.SUCCEEDED;
  static final BranchOutcome FAIL = new BranchOutcome.Failed("HTTP 409: FAILURE");
  static final BranchOutcome ONGOING = new BranchOutcome.Ongoing("HTTP 425: ONGOING");
  static final BranchOutcome DOWN = new BranchOutcome.Unreachable("connect timed out");

  final SagaPlanner planner = new SagaPlanner();

  Plan.Call expectCall(Transaction t, Instant now) {
    Plan p = planner.plan(t, now, S);
    assertThat(p).isInstanceOf(Plan.Call.class);
    return (Plan.Call) p;
  }

  /** Plans (expecting a call of exactly {@code expected}), applies the outcomes, returns what apply produced. */
  Applied round(Transaction t, Instant now, List<Integer> expected, BranchOutcome... outcomes) {
    Plan.Call call = expectCall(t, now);
    assertThat(call.branches()).as("branches called").containsExactlyElementsOf(expected);
    return planner.apply(call.marked(), call.branches(), List.of(outcomes), now, S);
  }

  Transaction roundOk(Transaction t, Instant now, List<Integer> expected) {
    BranchOutcome[] oks = Collections.nCopies(expected.size(), OK).toArray(BranchOutcome[]::new);
    Applied a = round(t, now, expected, oks);
    assertThat(a.retryAt()).isNull();
    return a.next();
  }

  static Transaction submitted(int steps, TransOptions o) {
    return saga(steps, o, GlobalStatus.SUBMITTED, T0);
  }

  @Test
  void sequentialSagaCallsActionsInOrderOneAtATime() {
    Transaction t = submitted(3, TransOptions.DEFAULTS);
    for (int step = 0; step < 3; step++) {
      Plan.Call call = expectCall(t, T0);
      assertThat(call.branches()).containsExactly(actionIndex(step));
      assertThat(call.durableFirst()).as("saga action dispatch must be durable first").isTrue();
      assertThat(call.marked().branches().get(actionIndex(step)).attempts()).isEqualTo(1);
      t = roundOk(t, T0, List.of(actionIndex(step)));
      assertThat(t.branches().get(actionIndex(step)).status()).isEqualTo(BranchStatus.SUCCEED);
    }
    Plan done = planner.plan(t, T0, S);
    assertThat(done).isInstanceOf(Plan.Write.class);
    Transaction fin = ((Plan.Write) done).next();
    assertThat(fin.status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(fin.finishTime()).isEqualTo(T0);
    assertThat(fin.branches()).filteredOn(b -> b.op().equals("compensate"))
        .allSatisfy(b -> assertThat(b.attempts()).isZero());
  }

  @Test
  void sequentialSagaDoesNotMoveOnWhileAnActionIsUnsettled() {
    Transaction t = submitted(2, TransOptions.DEFAULTS);
    Applied a = round(t, T0, List.of(actionIndex(0)), ONGOING);
    assertThat(a.retryAt()).isNotNull();
    // Asked again later: the same action, never the next one.
    Plan.Call again = expectCall(a.next(), a.retryAt());
    assertThat(again.branches()).containsExactly(actionIndex(0));
    assertThat(again.marked().branches().get(actionIndex(0)).attempts()).isEqualTo(2);
  }

  @Test
  void concurrentSagaWithoutOrdersCallsEveryActionAtOnce() {
    Transaction t = submitted(3, opts().concurrent().build());
    Transaction next = roundOk(t, T0, List.of(actionIndex(0), actionIndex(1), actionIndex(2)));
    assertThat(((Plan.Write) planner.plan(next, T0, S)).next().status()).isEqualTo(GlobalStatus.SUCCEED);
  }

  @Test
  void concurrentSagaFollowsTheOrdersDag() {
    // 2 after 0 and 1; 3 after 2.
    Transaction t = submitted(4, opts().order(2, 0, 1).order(3, 2).build());
    Applied a = round(t, T0, List.of(actionIndex(0), actionIndex(1)), OK, ONGOING);
    // Step 1 is not done: step 2 must wait, step 1 is asked again.
    t = a.next();
    assertThat(a.retryAt()).isNotNull();
    t = roundOk(t, a.retryAt(), List.of(actionIndex(1)));
    t = roundOk(t, a.retryAt(), List.of(actionIndex(2)));
    t = roundOk(t, a.retryAt(), List.of(actionIndex(3)));
    assertThat(((Plan.Write) planner.plan(t, a.retryAt(), S)).next().status()).isEqualTo(GlobalStatus.SUCCEED);
  }

  @Test
  void actionFailureAbortsWithAReasonNamingTheBranchThenCompensatesInReverseIncludingTheFailedStep() {
    Transaction t = submitted(4, TransOptions.DEFAULTS);
    t = roundOk(t, T0, List.of(actionIndex(0)));
    t = roundOk(t, T0, List.of(actionIndex(1)));
    Applied failed = round(t, T0, List.of(actionIndex(2)), FAIL);
    t = failed.next();
    assertThat(failed.retryAt()).as("an abort continues at once").isNull();
    assertThat(t.status()).isEqualTo(GlobalStatus.ABORTING);
    assertThat(t.rollbackReason()).contains("branch 03").contains("HTTP 409: FAILURE");
    assertThat(t.rollbackTime()).isEqualTo(T0);
    assertThat(t.branches().get(actionIndex(2)).status()).isEqualTo(BranchStatus.FAILED);

    Plan.Call comp = expectCall(t, T0);
    assertThat(comp.durableFirst()).isFalse();
    assertThat(comp.branches()).containsExactly(compensateIndex(2));
    t = roundOk(t, T0, List.of(compensateIndex(2)));
    t = roundOk(t, T0, List.of(compensateIndex(1)));
    t = roundOk(t, T0, List.of(compensateIndex(0)));
    Plan end = planner.plan(t, T0, S);
    assertThat(end).isInstanceOf(Plan.Write.class);
    Transaction fin = ((Plan.Write) end).next();
    assertThat(fin.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(fin.rollbackReason()).as("the reason survives the final transition").contains("branch 03");
    // Step 3 (index 3) was never attempted: never compensated.
    Branch neverRun = fin.branches().get(compensateIndex(3));
    assertThat(neverRun.attempts()).isZero();
    assertThat(neverRun.status()).isEqualTo(BranchStatus.PREPARED);
  }

  @Test
  void aStoredFailedActionAbortsTheSagaOnTheNextPlan() {
    // As stored: step 1 succeeded, step 2 answered FAILURE (the engine writes both before compensating).
    Transaction t = submitted(2, TransOptions.DEFAULTS);
    Branch ok = t.branches().get(actionIndex(0)).dispatched(T0).transition(BranchStatus.SUCCEED, T0, null);
    Branch failed = t.branches().get(actionIndex(1)).dispatched(T0).transition(BranchStatus.FAILED, T0, "boom");
    t = t.withBranch(actionIndex(0), ok).withBranch(actionIndex(1), failed);
    Plan p = planner.plan(t, T0, S);
    assertThat(p).isInstanceOf(Plan.Write.class);
    Transaction next = ((Plan.Write) p).next();
    assertThat(next.status()).isEqualTo(GlobalStatus.ABORTING);
    assertThat(next.rollbackReason()).contains("branch 02").contains("boom");
  }

  @Test
  void anActionAttemptedButUnsettledIsCompensatedWhenAborting() {
    // Step 0 succeeded, step 1 was dispatched and never answered (ongoing), then the saga timed out.
    Transaction t = submitted(3, opts().timeoutToFail(Duration.ofSeconds(30)).build());
    t = roundOk(t, T0, List.of(actionIndex(0)));
    Applied a = round(t, T0, List.of(actionIndex(1)), ONGOING);
    Plan p = planner.plan(a.next(), T0.plusSeconds(30), S);
    Transaction aborting = ((Plan.Write) p).next();
    assertThat(aborting.status()).isEqualTo(GlobalStatus.ABORTING);
    Transaction next = roundOk(aborting, T0.plusSeconds(30), List.of(compensateIndex(1)));
    next = roundOk(next, T0.plusSeconds(30), List.of(compensateIndex(0)));
    assertThat(((Plan.Write) planner.plan(next, T0.plusSeconds(30), S)).next().status())
        .isEqualTo(GlobalStatus.FAILED);
  }

  @Test
  void concurrentCompensationsRunInReverseDagOrder() {
    // 1 and 2 after 0; 3 after 1 and 2.
    Transaction t = submitted(4, opts().order(1, 0).order(2, 0).order(3, 1, 2).build());
    t = roundOk(t, T0, List.of(actionIndex(0)));
    t = roundOk(t, T0, List.of(actionIndex(1), actionIndex(2)));
    Applied failed = round(t, T0, List.of(actionIndex(3)), FAIL);
    t = failed.next();
    assertThat(t.status()).isEqualTo(GlobalStatus.ABORTING);
    t = roundOk(t, T0, List.of(compensateIndex(3)));
    // 1 and 2 together (no order between them), highest step first.
    t = roundOk(t, T0, List.of(compensateIndex(2), compensateIndex(1)));
    t = roundOk(t, T0, List.of(compensateIndex(0)));
    assertThat(((Plan.Write) planner.plan(t, T0, S)).next().status()).isEqualTo(GlobalStatus.FAILED);
  }

  @Test
  void concurrentCompensationWaitsForItsDependentsEvenWhenTheyAreSlow() {
    Transaction t = submitted(3, opts().order(1, 0).order(2, 1).build());
    t = roundOk(t, T0, List.of(actionIndex(0)));
    t = roundOk(t, T0, List.of(actionIndex(1)));
    t = round(t, T0, List.of(actionIndex(2)), FAIL).next();
    Applied slow = round(t, T0, List.of(compensateIndex(2)), DOWN);
    // Compensation of 2 failed: 1 and 0 still wait for it.
    Plan.Call again = expectCall(slow.next(), slow.retryAt());
    assertThat(again.branches()).containsExactly(compensateIndex(2));
  }

  @Test
  void concurrentAbortSkipsStepsNeverAttempted() {
    // 1 after 0; 2 independent. 0 fails while 2 succeeds; 1 never starts.
    Transaction t = submitted(3, opts().order(1, 0).build());
    Applied a = round(t, T0, List.of(actionIndex(0), actionIndex(2)), FAIL, OK);
    t = a.next();
    assertThat(t.status()).isEqualTo(GlobalStatus.ABORTING);
    assertThat(t.rollbackReason()).contains("branch 01");
    t = roundOk(t, T0, List.of(compensateIndex(2), compensateIndex(0)));
    Transaction fin = ((Plan.Write) planner.plan(t, T0, S)).next();
    assertThat(fin.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(fin.branches().get(compensateIndex(1)).attempts()).isZero();
    assertThat(fin.branches().get(actionIndex(1)).attempts()).isZero();
  }

  @Test
  void compensationFailureIsRetriedAndNeverMarksTheCompensationFailed() {
    Transaction t = submitted(1, TransOptions.DEFAULTS);
    t = round(t, T0, List.of(actionIndex(0)), FAIL).next();
    for (int i = 0; i < 3; i++) {
      Applied a = round(t, T0, List.of(compensateIndex(0)), FAIL);
      t = a.next();
      assertThat(a.retryAt()).isNotNull();
      assertThat(t.status()).isEqualTo(GlobalStatus.ABORTING);
      Branch comp = t.branches().get(compensateIndex(0));
      assertThat(comp.status()).isEqualTo(BranchStatus.PREPARED);
      assertThat(comp.lastError()).contains("FAILURE");
      assertThat(comp.attempts()).isEqualTo(i + 1);
      assertThat(t.failures()).isEqualTo(i + 1);
    }
    t = roundOk(t, T0, List.of(compensateIndex(0)));
    assertThat(t.failures()).as("success resets the backoff").isZero();
    assertThat(((Plan.Write) planner.plan(t, T0, S)).next().status()).isEqualTo(GlobalStatus.FAILED);
  }

  @Test
  void ongoingKeepsTheIntervalWithoutJitter() {
    Transaction t = submitted(1, opts().retryInterval(Duration.ofSeconds(7)).build());
    for (int i = 0; i < 3; i++) {
      Applied a = round(t, T0, List.of(actionIndex(0)), ONGOING);
      assertThat(a.retryAt()).isEqualTo(T0.plusSeconds(7));
      assertThat(a.next().retryInterval()).isEqualTo(Duration.ofSeconds(7));
      assertThat(a.next().failures()).isZero();
      assertThat(a.next().status()).isEqualTo(GlobalStatus.SUBMITTED);
      t = a.next();
    }
  }

  @Test
  void errorsDoubleTheIntervalUpToTheCapWithJitterAndSuccessResets() {
    PlanSettings s = new PlanSettings(Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(60),
        Duration.ofSeconds(35));
    Transaction t = submitted(1, TransOptions.DEFAULTS);
    long[] expected = {10, 20, 40, 60, 60};
    for (long secs : expected) {
      Plan.Call call = (Plan.Call) planner.plan(t, T0, s);
      Applied a = planner.apply(call.marked(), call.branches(), List.of(DOWN), T0, s);
      Duration interval = a.next().retryInterval();
      assertThat(interval).isEqualTo(Duration.ofSeconds(secs));
      assertThat(a.retryAt()).isBetween(T0.plus(interval.multipliedBy(8).dividedBy(10)), T0.plus(interval));
      assertThat(a.next().nextWake()).isEqualTo(a.retryAt());
      t = a.next();
    }
    assertThat(t.failures()).isEqualTo(expected.length);
    Plan.Call call = (Plan.Call) planner.plan(t, T0, s);
    Applied ok = planner.apply(call.marked(), call.branches(), List.of(OK), T0, s);
    assertThat(ok.next().failures()).isZero();
    assertThat(ok.next().retryInterval()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void timeoutToFailAbortsOnlyWhenSet() {
    Transaction timed = submitted(2, opts().timeoutToFail(Duration.ofSeconds(30)).build());
    assertThat(planner.plan(timed, T0.plusSeconds(29), S)).isInstanceOf(Plan.Call.class);
    Plan p = planner.plan(timed, T0.plusSeconds(30), S);
    assertThat(p).isInstanceOf(Plan.Write.class);
    Transaction aborting = ((Plan.Write) p).next();
    assertThat(aborting.status()).isEqualTo(GlobalStatus.ABORTING);
    assertThat(aborting.rollbackReason()).isEqualTo("Timeout after 30 seconds");
    // Nothing was attempted: aborting goes straight to failed without a call.
    assertThat(((Plan.Write) planner.plan(aborting, T0.plusSeconds(30), S)).next().status())
        .isEqualTo(GlobalStatus.FAILED);

    Transaction untimed = submitted(2, TransOptions.DEFAULTS);
    assertThat(planner.plan(untimed, T0.plus(Duration.ofDays(365)), S)).isInstanceOf(Plan.Call.class);
  }

  @Test
  void retryLimitAbortsAfterTheLimit() {
    Transaction t = submitted(2, opts().retryLimit(2).build());
    t = roundOk(t, T0, List.of(actionIndex(0)));
    // Attempts 1 and 2 of step 1 fail: retried.
    for (int attempt = 1; attempt <= 2; attempt++) {
      Applied a = round(t, T0, List.of(actionIndex(1)), DOWN);
      assertThat(a.next().status()).as("after attempt %d", attempt).isEqualTo(GlobalStatus.SUBMITTED);
      assertThat(a.retryAt()).isNotNull();
      t = a.next();
    }
    // Attempt 3 is the second retry: with retry_limit 2, the saga gives up.
    Applied last = round(t, T0, List.of(actionIndex(1)), ONGOING);
    assertThat(last.retryAt()).isNull();
    t = last.next();
    assertThat(t.status()).isEqualTo(GlobalStatus.ABORTING);
    assertThat(t.rollbackReason()).contains("retry limit 2").contains("branch 02").contains("ONGOING");
    // The unsettled action was attempted, so it is compensated, in reverse order.
    t = roundOk(t, T0, List.of(compensateIndex(1)));
    t = roundOk(t, T0, List.of(compensateIndex(0)));
    assertThat(((Plan.Write) planner.plan(t, T0, S)).next().status()).isEqualTo(GlobalStatus.FAILED);
  }

  @Test
  void noRetryLimitMeansRetriedForever() {
    Transaction t = submitted(1, TransOptions.DEFAULTS);
    for (int i = 0; i < 50; i++) {
      Applied a = round(t, T0, List.of(actionIndex(0)), DOWN);
      assertThat(a.next().status()).isEqualTo(GlobalStatus.SUBMITTED);
      t = a.next();
    }
  }

  @Test
  void finalAndPreparedSagasPlanNothing() {
    for (GlobalStatus st : List.of(GlobalStatus.PREPARED, GlobalStatus.SUCCEED, GlobalStatus.FAILED)) {
      assertThat(planner.plan(saga(2, TransOptions.DEFAULTS, st, T0), T0, S)).as(st.wire()).isInstanceOf(Plan.Done.class);
    }
  }
}
