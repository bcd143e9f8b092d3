package io.cohort.client;

/**
 * The caller's deadline (see {@code io.cohort.client.context.CohortContext}) passed before an HTTP call could be made
 * or answered. When it passed before the call, nothing was sent. Retryable with a later deadline.
 */
public class CallDeadlineExceededException extends CohortClientException {
  private static final long serialVersionUID = 1L;

  public CallDeadlineExceededException(String message, Throwable cause) {
    super(message, true, cause);
  }
}
