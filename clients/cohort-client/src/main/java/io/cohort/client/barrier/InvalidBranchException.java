package io.cohort.client.barrier;

import io.cohort.client.CohortClientException;

/**
 * A barrier was asked for with a missing or malformed branch parameter ({@code trans_type}, {@code gid},
 * {@code branch_id}, {@code op}). Never retryable: the same request will be refused again.
 */
public final class InvalidBranchException extends CohortClientException {
  private static final long serialVersionUID = 1L;
  private final String parameter;

  InvalidBranchException(String parameter, String message) {
    super(message, false);
    this.parameter = parameter;
  }

  /** The wire name of the offending query parameter, for example {@code branch_id}. */
  public String parameter() {
    return parameter;
  }
}
