package io.cohort.client;

/**
 * The root of every exception the Cohort SDK throws on purpose.
 *
 * <p>{@link #retryable()} tells a caller (or a branch handler deciding what to answer the coordinator) whether the
 * same call may succeed later: a lost database connection is retryable, a request missing its {@code gid} is not.
 * Handlers usually map a non-retryable exception to the DTM {@code FAILURE} answer and a retryable one to an
 * "ongoing / try again" answer so the coordinator calls back.
 */
public class CohortClientException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean retryable;

  public CohortClientException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  public CohortClientException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  /** Whether repeating the same call later may succeed. */
  public boolean retryable() {
    return retryable;
  }
}
