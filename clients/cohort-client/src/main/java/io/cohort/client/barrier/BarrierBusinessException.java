package io.cohort.client.barrier;

import io.cohort.client.CohortClientException;

/**
 * Wraps a checked exception (other than {@link java.sql.SQLException}) thrown by the business behind a barrier.
 * Runtime and SQL exceptions pass through unwrapped. Not retryable by default: the business decided.
 */
public final class BarrierBusinessException extends CohortClientException {
  private static final long serialVersionUID = 1L;

  BarrierBusinessException(Throwable cause) {
    super("the business behind the barrier failed: " + cause, false, cause);
  }
}
