package io.cohort.client.local;

import io.cohort.client.CohortClientException;

/**
 * A local transaction failed and was rolled back (or never started). Thrown as such when the work threw a checked
 * exception (which is then the {@linkplain #getCause() cause}), or when the runner itself was interrupted; its
 * subclasses name the cases a caller may want to tell apart. Unchecked exceptions and errors thrown by the work are
 * rethrown as they are, never wrapped.
 */
public class LocalTransactionException extends CohortClientException {
  private static final long serialVersionUID = 1L;

  LocalTransactionException(String message, boolean retryable, Throwable cause) {
    super(message, retryable, cause);
  }
}
