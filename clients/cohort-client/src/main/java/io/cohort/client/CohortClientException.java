package io.cohort.client;

/**
 * The root of every exception the Cohort SDK throws on purpose.
 *
 * <p>{@link #retryable()} tells a caller (or a branch handler deciding what to answer the coordinator) whether the
 * same call may succeed later: a lost database connection is retryable, a request missing its {@code gid} is not.
 * It does not decide a branch's answer to the coordinator: only a deliberate business "no"
 * ({@code BranchFailedException}) becomes FAILURE; any other exception, retryable or not, is answered as an error the
 * coordinator retries, so a bug never aborts a transaction (see {@code io.cohort.client.participant.BranchResponse}).
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
