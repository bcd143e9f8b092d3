package io.cohort.core.plan;

import io.cohort.core.model.Branch;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Recording the outcomes of calls that must succeed: msg deliveries, TCC confirms and cancels, XA commits and
 * rollbacks. Success settles the branch; FAILURE, ONGOING and transport errors leave it prepared with the error
 * recorded, and the transaction retries later (ONGOING at the same interval, anything else with backoff). A FAILURE
 * cannot undo a decision that is already stored, so it is retried like any other error.
 */
final class MustSucceed {
  private MustSucceed() {}

  static Applied apply(Transaction t, List<Integer> idx, List<BranchOutcome> outcomes, Instant now, PlanSettings s) {
    List<Branch> copy = new ArrayList<>(t.branches());
    boolean error = false;
    boolean onlyOngoing = true;
    for (int k = 0; k < idx.size(); k++) {
      int i = idx.get(k);
      Branch b = copy.get(i);
      switch (outcomes.get(k)) {
        case BranchOutcome.Succeeded ok -> copy.set(i, b.transition(BranchStatus.SUCCEED, now, null));
        case BranchOutcome.Ongoing o -> {
          copy.set(i, b.withError(o.message(), now));
          error = true;
        }
        case BranchOutcome.Failed f -> {
          copy.set(i, b.withError(f.message(), now));
          error = true;
          onlyOngoing = false;
        }
        case BranchOutcome.Unreachable u -> {
          copy.set(i, b.withError(u.message(), now));
          error = true;
          onlyOngoing = false;
        }
      }
    }
    Transaction next = t.withBranches(copy);
    if (error) {
      Transaction scheduled = onlyOngoing ? Backoff.afterOngoing(next, now, s) : Backoff.afterError(next, now, s);
      return new Applied(scheduled, scheduled.nextWake());
    }
    return new Applied(Backoff.reset(next, s), null);
  }
}
