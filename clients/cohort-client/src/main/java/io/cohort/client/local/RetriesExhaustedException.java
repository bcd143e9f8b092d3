package io.cohort.client.local;

/**
 * Every allowed attempt ended in a retryable database error (serialization failure, deadlock, lock wait timeout).
 * The {@linkplain #getCause() cause} is the error of the last attempt. Retryable: the contention may be gone later.
 */
public final class RetriesExhaustedException extends LocalTransactionException {
  private static final long serialVersionUID = 1L;
  private final int attempts;

  RetriesExhaustedException(int attempts, Throwable lastCause) {
    super("local transaction failed after " + attempts + " attempt(s); last error: " + lastCause, true, lastCause);
    this.attempts = attempts;
  }

  /** How many times the work was started. */
  public int attempts() {
    return attempts;
  }
}
