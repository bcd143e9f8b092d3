package io.cohort.core.plan;

import io.cohort.core.model.Branch;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchOp;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The planner of the two modes whose client does phase one itself: TCC (the client calls every {@code try}) and XA
 * (every participant prepares a local XA transaction). The coordinator only runs phase two.
 *
 * <p><b>Model.</b> The client prepares the transaction, then registers each branch while it is still prepared: a TCC
 * branch becomes two rows, {@code cancel} then {@code confirm}; an XA branch {@code rollback} then {@code commit}, both
 * at the one phase-2 URL (the rows and their order are DTM's). Branch ids are the client's ({@code 01}, {@code 0101}
 * for a nested branch, ...). Submit decides forward: every {@code confirm} (or {@code commit}) runs. Abort, or a
 * prepared transaction reaching its {@code timeout_to_fail}, decides backward: every {@code cancel} (or
 * {@code rollback}) runs.
 *
 * <p><b>Order.</b> TCC runs its phase-2 calls from the last registered branch to the first, so a nested branch, which
 * registers after its parent, is confirmed or cancelled before it. XA runs them in registration order. One call at a
 * time; the first error ends the round.
 *
 * <p><b>Must succeed.</b> Phase-2 calls cannot fail the decision: a FAILURE answer is retried like any error, with
 * backoff, until it succeeds (a participant that can never confirm needs an operator, who sees the error in
 * {@code last_error}). Once the decision is stored, it never changes: a transaction that is submitted never cancels,
 * and one that is aborting never confirms.
 */
public final class PhaseTwoPlanner implements Planner {
  private final String forwardOp;
  private final String backwardOp;
  private final boolean lastFirst;

  private PhaseTwoPlanner(String forwardOp, String backwardOp, boolean lastFirst) {
    this.forwardOp = forwardOp;
    this.backwardOp = backwardOp;
    this.lastFirst = lastFirst;
  }

  public static PhaseTwoPlanner tcc() {
    return new PhaseTwoPlanner(BranchOp.CONFIRM, BranchOp.CANCEL, true);
  }

  public static PhaseTwoPlanner xa() {
    return new PhaseTwoPlanner(BranchOp.COMMIT, BranchOp.ROLLBACK, false);
  }

  /** When a prepared transaction times out: {@code timeout_to_fail} after its creation. */
  public static Instant deadline(Transaction t, PlanSettings s) {
    return t.createTime().plus(timeoutToFail(t, s));
  }

  private static Duration timeoutToFail(Transaction t, PlanSettings s) {
    return t.options().timeoutToFail() != null ? t.options().timeoutToFail() : s.timeoutToFail();
  }

  @Override
  public Plan plan(Transaction t, Instant now, PlanSettings s) {
    return switch (t.status()) {
      case PREPARED -> {
        Instant deadline = deadline(t, s);
        yield now.isBefore(deadline)
            ? new Plan.Sleep(deadline)
            : new Plan.Write(t.transition(GlobalStatus.ABORTING, now,
                "Timeout after " + timeoutToFail(t, s).toSeconds() + " seconds"));
      }
      case SUBMITTED -> next(t, forwardOp, GlobalStatus.SUCCEED, now);
      case ABORTING -> next(t, backwardOp, GlobalStatus.FAILED, now);
      case SUCCEED, FAILED -> Plan.DONE;
    };
  }

  private Plan next(Transaction t, String op, GlobalStatus done, Instant now) {
    int n = t.branches().size();
    for (int k = 0; k < n; k++) {
      int i = lastFirst ? n - 1 - k : k;
      Branch b = t.branches().get(i);
      if (b.op().equals(op) && b.status() == BranchStatus.PREPARED) {
        return new Plan.Call(List.of(i), SagaPlanner.dispatch(t, List.of(i), now), false);
      }
    }
    return new Plan.Write(t.transition(done, now, null));
  }

  @Override
  public Applied apply(Transaction t, List<Integer> idx, List<BranchOutcome> outcomes, Instant now, PlanSettings s) {
    return MustSucceed.apply(t, idx, outcomes, now, s);
  }
}
