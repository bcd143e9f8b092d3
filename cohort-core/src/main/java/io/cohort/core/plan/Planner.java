package io.cohort.core.plan;

import io.cohort.core.model.Transaction;
import java.time.Instant;
import java.util.List;

/**
 * One pure planner per mode. It reads a transaction and the time, and decides; it never touches the store or the
 * network. The engine carries the decision out and feeds the call outcomes back through {@link #apply}.
 */
public interface Planner {

  Plan plan(Transaction t, Instant now, PlanSettings s);

  /** Records the outcomes of a {@link Plan.Call} (same order as its branches) into the transaction. */
  Applied apply(Transaction t, List<Integer> branches, List<BranchOutcome> outcomes, Instant now, PlanSettings s);
}
