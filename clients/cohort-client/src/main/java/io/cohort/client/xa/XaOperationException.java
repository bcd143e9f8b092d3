package io.cohort.client.xa;

import io.cohort.client.CohortClientException;
import javax.transaction.xa.XAException;

/**
 * An XA branch operation did not complete: the database refused or lost an XA statement or a barrier statement, a
 * phase-2 rollback is still waiting for an in-flight local phase, or the branch's work or registration threw a checked
 * exception (the cause). When this is thrown from {@link XaParticipant#localPhase}, nothing was prepared.
 *
 * <p>{@link #retryable()} says whether the same call may succeed later (a lost connection, a lock wait); the phase-2
 * ops are retried by the coordinator until they succeed either way, and a branch handler answers any of these with
 * HTTP 500. {@link #xaErrorCode()} carries the driver's XA error code when there was one.
 */
public final class XaOperationException extends CohortClientException {
  private static final long serialVersionUID = 1L;
  private final int xaErrorCode;

  XaOperationException(String message, boolean retryable, Throwable cause) {
    super(message, retryable, cause);
    this.xaErrorCode = cause instanceof XAException ? ((XAException) cause).errorCode : 0;
  }

  /** The {@link XAException#errorCode} of the cause, or 0 when the cause was not an {@link XAException}. */
  public int xaErrorCode() {
    return xaErrorCode;
  }
}
