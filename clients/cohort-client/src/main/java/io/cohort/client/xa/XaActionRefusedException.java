package io.cohort.client.xa;

import io.cohort.client.CohortClientException;

/**
 * The local phase ({@code op=action}) of an XA branch did not run its work because the branch is already decided:
 * its barrier row was there before the action could take it.
 *
 * <ul>
 *   <li>{@link #rolledBack()}: the branch's rollback came first (the action is <i>hanging</i>: it was delayed past the
 *       global transaction's abort). Running it now would prepare a transaction no one will ever finish, so the
 *       participant answers FAILURE ({@link XaParticipant#handle} does).
 *   <li>otherwise: the branch was already committed; this is a late duplicate of an action that succeeded, so the
 *       participant answers SUCCESS without repeating the work.
 * </ul>
 *
 * <p>Never retryable: the decision is final.
 */
public final class XaActionRefusedException extends CohortClientException {
  private static final long serialVersionUID = 1L;
  private final boolean rolledBack;

  XaActionRefusedException(XaBranchId branch, boolean rolledBack) {
    super(rolledBack
        ? "XA branch " + branch + " was already rolled back: the action arrived after its rollback and was refused"
        : "XA branch " + branch + " was already committed: the duplicate action did not run again", false);
    this.rolledBack = rolledBack;
  }

  /** {@code true} when the branch was rolled back (answer FAILURE), {@code false} when it was committed. */
  public boolean rolledBack() {
    return rolledBack;
  }
}
