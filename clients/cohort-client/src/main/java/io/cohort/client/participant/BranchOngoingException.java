package io.cohort.client.participant;

import io.cohort.client.CohortClientException;

/**
 * Thrown by a branch handler whose operation is not finished yet (for example: waiting for an external payment
 * callback). Answered with HTTP 425 {@code {"dtm_result":"ONGOING"}}, so the coordinator calls again at its fixed
 * retry interval instead of doubling it. Retryable by definition.
 */
public final class BranchOngoingException extends CohortClientException {
  private static final long serialVersionUID = 1L;

  public BranchOngoingException(String message) {
    super(message, true);
  }
}
