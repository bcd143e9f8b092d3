package io.cohort.core.plan;

import io.cohort.core.model.Branch;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The saga planner.
 *
 * <p><b>Model.</b> Step {@code i} is stored as two branches, {@code 2i} = compensate and {@code 2i+1} = action (DTM's
 * order), both with branch id {@code %02d(i+1)}. Forward, actions run one after another, or, when
 * {@code concurrent}, every action whose dependencies in {@code orders} have succeeded runs at once. An action that
 * answers FAILURE fails the saga; so does the transaction's {@code timeout_to_fail} (only when set) and using up
 * {@code retry_limit}. Other errors and ONGOING are retried.
 *
 * <p><b>Compensation.</b> When aborting, a step is compensated if its action was attempted (dispatched at least once,
 * or settled), including the action that answered FAILURE: the participant may have done part of the work, and a
 * barrier makes the compensation of nothing harmless. Compensations run in reverse step order, or, when concurrent, a
 * step's compensation waits for the compensations of every step that depended on it. Compensations must succeed: a
 * FAILURE from one is retried like any error.
 *
 * <p><b>Crash safety.</b> Action dispatches are durable before the call ({@code durableFirst}), so after a crash the
 * planner knows every action that might have run, and never compensates one that cannot have.
 */
public final class SagaPlanner implements Planner {

  static int compensateIndex(int step) {
    return 2 * step;
  }

  static int actionIndex(int step) {
    return 2 * step + 1;
  }

  static int steps(Transaction t) {
    return t.branches().size() / 2;
  }

  @Override
  public Plan plan(Transaction t, Instant now, PlanSettings s) {
    return switch (t.status()) {
      case SUBMITTED -> forward(t, now);
      case ABORTING -> backward(t, now);
      case PREPARED, SUCCEED, FAILED -> Plan.DONE;
    };
  }

  private Plan forward(Transaction t, Instant now) {
    var timeout = t.options().timeoutToFail();
    if (timeout != null && !now.isBefore(t.createTime().plus(timeout))) {
      return new Plan.Write(t.transition(GlobalStatus.ABORTING, now, "Timeout after " + timeout.toSeconds() + " seconds"));
    }
    int n = steps(t);
    boolean allDone = true;
    List<Integer> eligible = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Branch action = t.branches().get(actionIndex(i));
      if (action.status() == BranchStatus.FAILED) {
        return new Plan.Write(t.transition(GlobalStatus.ABORTING, now, reason(action)));
      }
      if (action.status() == BranchStatus.SUCCEED) {
        continue;
      }
      allDone = false;
      String limit = retryLimitReached(t, action);
      if (limit != null) {
        return new Plan.Write(t.transition(GlobalStatus.ABORTING, now, limit));
      }
      if (t.options().concurrent()) {
        if (dependenciesSucceeded(t, i)) {
          eligible.add(actionIndex(i));
        }
      } else if (eligible.isEmpty()) {
        eligible.add(actionIndex(i));
        break;
      }
    }
    if (allDone) {
      return new Plan.Write(t.transition(GlobalStatus.SUCCEED, now, null));
    }
    if (eligible.isEmpty()) {
      // Unreachable for a validated DAG (the earliest unfinished step has its dependencies done); be safe anyway.
      return new Plan.Sleep(now.plus(PlanSettings.DEFAULTS.retryInterval()));
    }
    return new Plan.Call(eligible, dispatch(t, eligible, now), true);
  }

  private Plan backward(Transaction t, Instant now) {
    int n = steps(t);
    List<Integer> eligible = new ArrayList<>();
    boolean anyNeeded = false;
    for (int i = n - 1; i >= 0; i--) {
      if (!needsCompensation(t, i)) {
        continue;
      }
      anyNeeded = true;
      if (!t.options().concurrent()) {
        eligible.add(compensateIndex(i));
        break;
      }
      if (dependentsCompensated(t, i)) {
        eligible.add(compensateIndex(i));
      }
    }
    if (!anyNeeded) {
      return new Plan.Write(t.transition(GlobalStatus.FAILED, now, null));
    }
    return new Plan.Call(eligible, dispatch(t, eligible, now), false);
  }

  /** A step is compensated when its action was attempted and its compensation has not succeeded yet. */
  static boolean needsCompensation(Transaction t, int step) {
    Branch action = t.branches().get(actionIndex(step));
    Branch comp = t.branches().get(compensateIndex(step));
    boolean attempted = action.attempts() > 0 || action.status() != BranchStatus.PREPARED;
    return attempted && comp.status() == BranchStatus.PREPARED;
  }

  private static boolean dependenciesSucceeded(Transaction t, int step) {
    for (int dep : t.options().dependenciesOf(step)) {
      if (t.branches().get(actionIndex(dep)).status() != BranchStatus.SUCCEED) {
        return false;
      }
    }
    return true;
  }

  /** Every step that depends on {@code step} no longer needs compensation. */
  private static boolean dependentsCompensated(Transaction t, int step) {
    int n = steps(t);
    for (int j = 0; j < n; j++) {
      if (t.options().dependenciesOf(j).contains(step) && needsCompensation(t, j)) {
        return false;
      }
    }
    return true;
  }

  private static String retryLimitReached(Transaction t, Branch action) {
    int limit = t.options().retryLimit();
    if (limit > 0 && action.attempts() > limit) {
      return "retry limit " + limit + " reached for branch " + action.branchId()
          + (action.lastError() == null ? "" : " (last error: " + action.lastError() + ")");
    }
    return null;
  }

  private static String reason(Branch failed) {
    return "branch " + failed.branchId() + " " + failed.op() + " failed"
        + (failed.lastError() == null ? "" : ": " + failed.lastError());
  }

  static Transaction dispatch(Transaction t, List<Integer> idx, Instant now) {
    List<Branch> copy = new ArrayList<>(t.branches());
    for (int i : idx) {
      copy.set(i, copy.get(i).dispatched(now));
    }
    return t.withBranches(copy);
  }

  @Override
  public Applied apply(Transaction t, List<Integer> idx, List<BranchOutcome> outcomes, Instant now, PlanSettings s) {
    List<Branch> copy = new ArrayList<>(t.branches());
    boolean error = false;
    boolean onlyOngoing = true;
    Branch failedAction = null;
    for (int k = 0; k < idx.size(); k++) {
      int i = idx.get(k);
      Branch b = copy.get(i);
      boolean isAction = i % 2 == 1;
      switch (outcomes.get(k)) {
        case BranchOutcome.Succeeded ok -> copy.set(i, b.transition(BranchStatus.SUCCEED, now, null));
        case BranchOutcome.Failed f when isAction && t.status() == GlobalStatus.SUBMITTED -> {
          Branch failed = b.transition(BranchStatus.FAILED, now, f.message());
          copy.set(i, failed);
          failedAction = failedAction == null ? failed : failedAction;
        }
        case BranchOutcome.Failed f -> {
          copy.set(i, b.withError(f.message(), now));
          error = true;
          onlyOngoing = false;
        }
        case BranchOutcome.Ongoing o -> {
          copy.set(i, b.withError(o.message(), now));
          error = true;
        }
        case BranchOutcome.Unreachable u -> {
          copy.set(i, b.withError(u.message(), now));
          error = true;
          onlyOngoing = false;
        }
      }
    }
    Transaction next = t.withBranches(copy);
    if (failedAction != null) {
      return new Applied(Backoff.reset(next.transition(GlobalStatus.ABORTING, now, reason(failedAction)), s), null);
    }
    if (error && t.status() == GlobalStatus.SUBMITTED) {
      for (int i : idx) {
        String limit = retryLimitReached(next, next.branches().get(i));
        if (limit != null && next.branches().get(i).status() == BranchStatus.PREPARED) {
          return new Applied(Backoff.reset(next.transition(GlobalStatus.ABORTING, now, limit), s), null);
        }
      }
    }
    if (error) {
      Transaction scheduled = onlyOngoing ? Backoff.afterOngoing(next, now, s) : Backoff.afterError(next, now, s);
      return new Applied(scheduled, scheduled.nextWake());
    }
    return new Applied(Backoff.reset(next, s), null);
  }
}
