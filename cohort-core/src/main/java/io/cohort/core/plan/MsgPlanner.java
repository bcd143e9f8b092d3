package io.cohort.core.plan;

import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The 2-phase message planner.
 *
 * <p><b>Model.</b> Step {@code i} is one branch, op {@code action}, id {@code %02d(i+1)}. A prepared message waits
 * for the client's submit; once it is older than its {@code timeout_to_fail} the coordinator asks the client's
 * {@code query_prepared} check-back: SUCCESS submits it, FAILURE fails it, ONGOING asks again after the same interval,
 * anything else after a growing one. Unlike DTM, later check-backs follow the retry interval, not another
 * {@code timeout_to_fail} (DTM #553).
 *
 * <p><b>Delivery.</b> A submitted message is never rolled back: actions are retried until they succeed, FAILURE
 * included. They run in order, one at a time (the round stops at the first error), or all at once when
 * {@code concurrent}. With {@code delay}, nothing is delivered before the message is that old.
 */
public final class MsgPlanner implements Planner {

  @Override
  public Plan plan(Transaction t, Instant now, PlanSettings s) {
    return switch (t.status()) {
      case PREPARED -> {
        Duration ttf = t.options().timeoutToFail() != null ? t.options().timeoutToFail() : s.timeoutToFail();
        Instant checkAt = t.createTime().plus(ttf);
        yield now.isBefore(checkAt) ? new Plan.Sleep(checkAt) : new Plan.Call(List.of(Plan.CHECK_BACK), t, false);
      }
      case SUBMITTED -> deliver(t, now);
      case ABORTING, SUCCEED, FAILED -> Plan.DONE;
    };
  }

  private Plan deliver(Transaction t, Instant now) {
    Duration delay = t.options().delay();
    if (delay != null && now.isBefore(t.createTime().plus(delay))) {
      return new Plan.Sleep(t.createTime().plus(delay));
    }
    List<Integer> due = new ArrayList<>();
    for (int i = 0; i < t.branches().size(); i++) {
      if (t.branches().get(i).status() == BranchStatus.PREPARED) {
        due.add(i);
        if (!t.options().concurrent()) {
          break;
        }
      }
    }
    if (due.isEmpty()) {
      return new Plan.Write(t.transition(GlobalStatus.SUCCEED, now, null));
    }
    return new Plan.Call(due, SagaPlanner.dispatch(t, due, now), false);
  }

  @Override
  public Applied apply(Transaction t, List<Integer> idx, List<BranchOutcome> outcomes, Instant now, PlanSettings s) {
    if (idx.size() == 1 && idx.get(0) == Plan.CHECK_BACK) {
      return switch (outcomes.get(0)) {
        case BranchOutcome.Succeeded ok -> new Applied(Backoff.reset(t.transition(GlobalStatus.SUBMITTED, now, null), s), null);
        case BranchOutcome.Failed f -> new Applied(
            t.transition(GlobalStatus.FAILED, now, "check-back answered FAILURE: " + f.message()), null);
        case BranchOutcome.Ongoing o -> retry(Backoff.afterOngoing(t, now, s));
        case BranchOutcome.Unreachable u -> retry(Backoff.afterError(t, now, s));
      };
    }
    return MustSucceed.apply(t, idx, outcomes, now, s);
  }

  private static Applied retry(Transaction scheduled) {
    return new Applied(scheduled, scheduled.nextWake());
  }
}
