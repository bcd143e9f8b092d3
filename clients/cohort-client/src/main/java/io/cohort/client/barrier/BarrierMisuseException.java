package io.cohort.client.barrier;

import io.cohort.client.CohortClientException;

/**
 * The barrier was used in a way that cannot give its guarantees, for example on a JDBC connection in auto-commit
 * mode (each barrier insert would commit on its own, so the business and its barrier row would no longer commit or
 * roll back together). A programming error; never retryable.
 */
public final class BarrierMisuseException extends CohortClientException {
  private static final long serialVersionUID = 1L;

  BarrierMisuseException(String message) {
    super(message, false);
  }
}
