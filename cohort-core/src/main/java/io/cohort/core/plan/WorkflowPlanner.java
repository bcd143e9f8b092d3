package io.cohort.core.plan;

import io.cohort.core.model.Transaction;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The workflow planner.
 *
 * <p><b>Model.</b> The client runs a workflow's steps itself and records each step's result with
 * {@code registerBranch} (op, status, data); the coordinator stores that progress and never calls a step. What it
 * does is keep the workflow alive: while the workflow is unfinished and has been quiet for its retry interval, the
 * coordinator calls the client's resume callback ({@code query_prepared}, op = the workflow name, branch id
 * {@code 00}, body = the workflow input), and the client replays the recorded progress and carries on. The client
 * ends the workflow with {@code submit}, which stores the final status and result.
 *
 * <p><b>Timing.</b> Resume calls repeat at the fixed base interval, whatever they answer (the callback's answer
 * carries no decision; only the client's submit does). Unlike DTM, every recorded step pushes the next resume one
 * interval away, so a workflow that is making progress is not resumed a second time while it runs.
 */
public final class WorkflowPlanner implements Planner {

  @Override
  public Plan plan(Transaction t, Instant now, PlanSettings s) {
    if (t.isFinal()) {
      return Plan.DONE;
    }
    if (t.queryPrepared().isEmpty()) {
      // No callback to resume through (the client did not give one): look again later, in case an operator acts.
      return new Plan.Sleep(now.plus(Backoff.base(t, s)));
    }
    return new Plan.Call(List.of(Plan.CHECK_BACK), t, false);
  }

  @Override
  public Applied apply(Transaction t, List<Integer> idx, List<BranchOutcome> outcomes, Instant now, PlanSettings s) {
    Duration base = Backoff.base(t, s);
    int failures = outcomes.get(0) instanceof BranchOutcome.Succeeded ? 0 : t.failures() + 1;
    Transaction next = t.withSchedule(now.plus(base), base, failures, t.owner());
    return new Applied(next, next.nextWake());
  }
}
