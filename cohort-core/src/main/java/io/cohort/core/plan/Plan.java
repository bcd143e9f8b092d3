package io.cohort.core.plan;

import io.cohort.core.model.Transaction;
import java.time.Instant;
import java.util.List;

/** What a planner decides for a transaction at a moment: the engine carries it out. */
public sealed interface Plan {

  /** Index used in {@link Call#branches()} for the msg check-back ({@code query_prepared}), which has no branch row. */
  int CHECK_BACK = -1;

  /**
   * Call these branches (indices into {@link Transaction#branches()}, or {@link #CHECK_BACK}) now, together.
   *
   * @param marked the transaction with the calls' dispatch counted
   * @param durableFirst the dispatch must be on disk before any call with a URL goes out (saga actions: a
   *     compensation may only ever be sent for an action that was attempted, even across a crash)
   */
  record Call(List<Integer> branches, Transaction marked, boolean durableFirst) implements Plan {}

  /** Record this change (a global transition), then plan again. */
  record Write(Transaction next) implements Plan {}

  /** Nothing to do before {@code until}: record it and stop. */
  record Sleep(Instant until) implements Plan {}

  /** The transaction is final, or nothing will ever be due (it waits for a client command). */
  record Done() implements Plan {}

  Done DONE = new Done();
}
