package io.cohort.client.local;

/**
 * The caller's deadline passed: before an attempt could start (then no connection was taken, and
 * {@link #attempts()} counts only the attempts made before), during a backoff that would have outlived it, or
 * while a statement ran (then the database cancelled it through the statement timeout the runner derived from the
 * deadline, and the {@linkplain #getCause() cause} is the database's error). The transaction was rolled back.
 * Retryable: the same work with a later deadline may succeed.
 */
public final class DeadlineExceededException extends LocalTransactionException {
  private static final long serialVersionUID = 1L;
  private final int attempts;

  DeadlineExceededException(String message, int attempts, Throwable cause) {
    super(message, true, cause);
    this.attempts = attempts;
  }

  /** How many times the work was started before the deadline stopped the runner. */
  public int attempts() {
    return attempts;
  }
}
