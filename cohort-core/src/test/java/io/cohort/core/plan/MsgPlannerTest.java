package io.cohort.core.plan;

import static io.cohort.core.testing.Fixtures.msg;
import static io.cohort.core.testing.Fixtures.opts;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The msg planner, purely. */
class MsgPlannerTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final PlanSettings S = PlanSettings.DEFAULTS; // timeoutToFail 35 s, retryInterval 10 s
  static final BranchOutcome OK = BranchOutcome.SUCCEEDED;
  static final BranchOutcome FAIL = new BranchOutcome.Failed("HTTP 409: FAILURE");
  static final BranchOutcome ONGOING = new BranchOutcome.Ongoing("HTTP 425: ONGOING");
  static final BranchOutcome DOWN = new BranchOutcome.Unreachable("HTTP 502");

  final MsgPlanner planner = new MsgPlanner();

  Applied apply(Plan.Call call, Instant now, BranchOutcome... outcomes) {
    return planner.apply(call.marked(), call.branches(), List.of(outcomes), now, S);
  }

  Plan.Call expectCall(Transaction t, Instant now, Integer... branches) {
    Plan p = planner.plan(t, now, S);
    assertThat(p).isInstanceOf(Plan.Call.class);
    Plan.Call c = (Plan.Call) p;
    assertThat(c.branches()).containsExactly(branches);
    assertThat(c.durableFirst()).as("msg calls need no durable dispatch").isFalse();
    return c;
  }

  @Test
  void preparedWaitsUntilCreatePlusTimeoutToFail() {
    Transaction byDefault = msg(2, TransOptions.DEFAULTS, GlobalStatus.PREPARED, T0);
    assertThat(planner.plan(byDefault, T0.plusSeconds(34), S)).isEqualTo(new Plan.Sleep(T0.plusSeconds(35)));
    expectCall(byDefault, T0.plusSeconds(35), Plan.CHECK_BACK);

    Transaction own = msg(2, opts().timeoutToFail(Duration.ofSeconds(5)).build(), GlobalStatus.PREPARED, T0);
    assertThat(planner.plan(own, T0, S)).isEqualTo(new Plan.Sleep(T0.plusSeconds(5)));
    Plan.Call c = expectCall(own, T0.plusSeconds(5), Plan.CHECK_BACK);
    assertThat(c.marked()).as("a check-back changes nothing before it answers").isEqualTo(own);
  }

  @Test
  void checkBackSuccessSubmits() {
    Transaction t = msg(1, TransOptions.DEFAULTS, GlobalStatus.PREPARED, T0);
    Applied a = apply(expectCall(t, T0.plusSeconds(35), Plan.CHECK_BACK), T0.plusSeconds(35), OK);
    assertThat(a.retryAt()).isNull();
    assertThat(a.next().status()).isEqualTo(GlobalStatus.SUBMITTED);
    expectCall(a.next(), T0.plusSeconds(35), 0);
  }

  @Test
  void checkBackFailureFails() {
    Transaction t = msg(1, TransOptions.DEFAULTS, GlobalStatus.PREPARED, T0);
    Applied a = apply(expectCall(t, T0.plusSeconds(35), Plan.CHECK_BACK), T0.plusSeconds(35), FAIL);
    assertThat(a.next().status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(a.next().rollbackReason()).contains("check-back").contains("FAILURE");
    assertThat(planner.plan(a.next(), T0.plusSeconds(35), S)).isInstanceOf(Plan.Done.class);
    assertThat(a.next().branches()).allSatisfy(b -> assertThat(b.attempts()).isZero());
  }

  @Test
  void checkBackOngoingRetriesAtTheSameInterval() {
    Transaction t = msg(1, TransOptions.DEFAULTS, GlobalStatus.PREPARED, T0);
    Instant now = T0.plusSeconds(35);
    for (int i = 0; i < 3; i++) {
      Applied a = apply(expectCall(t, now, Plan.CHECK_BACK), now, ONGOING);
      assertThat(a.next().status()).isEqualTo(GlobalStatus.PREPARED);
      assertThat(a.retryAt()).as("later check-backs follow the retry interval").isEqualTo(now.plusSeconds(10));
      t = a.next();
      now = a.retryAt();
    }
  }

  @Test
  void checkBackOtherErrorsRetryWithGrowingInterval() {
    Transaction t = msg(1, TransOptions.DEFAULTS, GlobalStatus.PREPARED, T0);
    Instant now = T0.plusSeconds(35);
    Applied first = apply(expectCall(t, now, Plan.CHECK_BACK), now, DOWN);
    Applied second = apply(expectCall(first.next(), now, Plan.CHECK_BACK), now, DOWN);
    assertThat(first.next().status()).isEqualTo(GlobalStatus.PREPARED);
    assertThat(second.next().status()).isEqualTo(GlobalStatus.PREPARED);
    assertThat(first.next().retryInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(second.next().retryInterval()).isEqualTo(Duration.ofSeconds(20));
    assertThat(second.retryAt()).isBetween(now.plusSeconds(16), now.plusSeconds(20));
  }

  @Test
  void delayHoldsDeliveryUntilCreatePlusDelay() {
    Transaction t = msg(1, opts().delay(Duration.ofSeconds(60)).build(), GlobalStatus.SUBMITTED, T0);
    assertThat(planner.plan(t, T0.plusSeconds(59), S)).isEqualTo(new Plan.Sleep(T0.plusSeconds(60)));
    expectCall(t, T0.plusSeconds(60), 0);
  }

  @Test
  void sequentialDeliveryStopsAtTheFirstError() {
    Transaction t = msg(3, TransOptions.DEFAULTS, GlobalStatus.SUBMITTED, T0);
    Applied a = apply(expectCall(t, T0, 0), T0, OK);
    assertThat(a.retryAt()).isNull();
    Applied b = apply(expectCall(a.next(), T0, 1), T0, DOWN);
    assertThat(b.retryAt()).as("the round stops").isNotNull();
    // Next round starts again at the failed step; step 2 has still never been called.
    Plan.Call again = expectCall(b.next(), b.retryAt(), 1);
    assertThat(again.marked().branches().get(2).attempts()).isZero();
    Transaction t2 = apply(again, b.retryAt(), OK).next();
    Transaction t3 = apply(expectCall(t2, b.retryAt(), 2), b.retryAt(), OK).next();
    Plan end = planner.plan(t3, b.retryAt(), S);
    assertThat(((Plan.Write) end).next().status()).isEqualTo(GlobalStatus.SUCCEED);
  }

  @Test
  void concurrentDeliveryCallsEveryPendingActionAtOnce() {
    Transaction t = msg(3, opts().concurrent().build(), GlobalStatus.SUBMITTED, T0);
    Applied a = apply(expectCall(t, T0, 0, 1, 2), T0, OK, FAIL, ONGOING);
    assertThat(a.retryAt()).isNotNull();
    Applied b = apply(expectCall(a.next(), a.retryAt(), 1, 2), a.retryAt(), OK, OK);
    assertThat(((Plan.Write) planner.plan(b.next(), a.retryAt(), S)).next().status())
        .isEqualTo(GlobalStatus.SUCCEED);
  }

  @Test
  void actionFailureIsRetriedNeverRolledBack() {
    Transaction t = msg(1, TransOptions.DEFAULTS, GlobalStatus.SUBMITTED, T0);
    Instant now = T0;
    for (int i = 0; i < 5; i++) {
      Applied a = apply(expectCall(t, now, 0), now, FAIL);
      t = a.next();
      assertThat(t.status()).isEqualTo(GlobalStatus.SUBMITTED);
      assertThat(t.branches().get(0).status()).isEqualTo(BranchStatus.PREPARED);
      assertThat(t.branches().get(0).lastError()).contains("FAILURE");
      assertThat(t.failures()).as("FAILURE counts as an error: backoff grows").isEqualTo(i + 1);
      now = a.retryAt();
    }
  }

  @Test
  void ongoingActionKeepsTheInterval() {
    Transaction t = msg(1, TransOptions.DEFAULTS, GlobalStatus.SUBMITTED, T0);
    Applied a = apply(expectCall(t, T0, 0), T0, ONGOING);
    assertThat(a.retryAt()).isEqualTo(T0.plusSeconds(10));
    assertThat(a.next().failures()).isZero();
  }

  @Test
  void successAfterErrorsResetsTheBackoff() {
    Transaction t = msg(2, TransOptions.DEFAULTS, GlobalStatus.SUBMITTED, T0);
    Applied e1 = apply(expectCall(t, T0, 0), T0, DOWN);
    Applied e2 = apply(expectCall(e1.next(), T0, 0), T0, DOWN);
    assertThat(e2.next().failures()).isEqualTo(2);
    Applied ok = apply(expectCall(e2.next(), T0, 0), T0, OK);
    assertThat(ok.next().failures()).isZero();
    assertThat(ok.next().retryInterval()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void finalAndAbortingMsgsPlanNothing() {
    for (GlobalStatus st : List.of(GlobalStatus.ABORTING, GlobalStatus.SUCCEED, GlobalStatus.FAILED)) {
      assertThat(planner.plan(msg(1, TransOptions.DEFAULTS, st, T0), T0, S)).as(st.wire()).isInstanceOf(Plan.Done.class);
    }
  }
}
