package io.cohort.client.barrier;

import io.cohort.client.CohortClientException;

/**
 * The barrier store (the database or Redis) failed: lost connection, deadlock, timeout, missing table. Retryable:
 * nothing was decided, because the barrier row and the business share one transaction (JDBC) or one script (Redis).
 */
public final class BarrierStorageException extends CohortClientException {
  private static final long serialVersionUID = 1L;

  BarrierStorageException(String message, Throwable cause) {
    super(message, true, cause);
  }
}
