package io.cohort.client.barrier;

import io.cohort.client.CohortClientException;

/**
 * The branch's business refused the operation for good (for example: the balance would go negative). A handler
 * answers the coordinator with the DTM {@code FAILURE} result. Never retryable.
 */
public final class BranchFailedException extends CohortClientException {
  private static final long serialVersionUID = 1L;

  public BranchFailedException(String message) {
    super(message, false);
  }
}
